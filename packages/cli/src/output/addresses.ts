/** host:port of an endpoint address ('127.0.0.1:6124/taskexecutor' -> '127.0.0.1:6124'): what people connect to. */
export function hostPortOf(endpointAddress: string): string {
  const slash = endpointAddress.indexOf('/');
  return slash < 0 ? endpointAddress : endpointAddress.slice(0, slash);
}
