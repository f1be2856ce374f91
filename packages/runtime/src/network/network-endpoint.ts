/**
 * NetworkEndpoint: the TaskManager's NetworkGateway, which tells a consumer's TaskManager the port
 * of this TaskManager's data server before it opens its data connection (Flink keeps the data port
 * in the TaskManager's location; here it is asked for once per pair of TaskManagers).
 */
import { eddy_network_v1 as network } from '@eddy/proto';
import { RpcEndpoint, type RpcService } from '@eddy/rpc';

export const NETWORK_ENDPOINT_ID = 'network';

export class NetworkEndpoint extends RpcEndpoint implements network.NetworkGateway {
  constructor(
    rpcService: RpcService,
    private readonly dataPort: () => number,
  ) {
    super(rpcService, network.NetworkGateway, NETWORK_ENDPOINT_ID);
  }

  async getDataPort(): Promise<network.DataPortResponse> {
    return { port: this.dataPort() };
  }
}
