/**
 * The built-in drivers' implementations that otherwise load with their first
 * open, loaded now and handed to their drivers. The package face imports this,
 * so its synchronous face can open any driver; the tools do not, and load only
 * the drivers they open.
 */
import * as nvmeNode from './nvme/nvme-node.js';
import { nvmeImplementation } from './nvme/nvme-driver.js';
import * as qcow2Node from './qcow2/qcow2-node.js';
import { qcow2Implementation } from './qcow2/qcow2-driver.js';

/** Hand every lazily loaded built-in implementation to its driver. */
export function provideBuiltinImplementations(): void {
  qcow2Implementation.provide(qcow2Node);
  nvmeImplementation.provide(nvmeNode);
}
