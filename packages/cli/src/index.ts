export { createProgram, runCli } from './cli.js';
