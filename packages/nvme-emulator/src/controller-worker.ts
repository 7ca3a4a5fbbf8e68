/**
 * Entry point of the emulated controller's worker thread: build the controller
 * from workerData and run its loop until told to stop. Built as its own tsup
 * entry (dist/nvme-controller-worker.js) so the main bundle can spawn it.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { ControllerWorkerData } from './controller-layout.js';
import { NvmeControllerCore } from './controller-core.js';

const data = workerData as ControllerWorkerData & { controlPort: MessagePort };
new NvmeControllerCore(data, data.controlPort).run();
data.controlPort.close();
