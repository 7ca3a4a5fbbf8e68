// test-aio.c port on this backend (every coroutine it runs crosses the native switch).
import { aioConformance } from '@qco/conformance';
import { createBackend } from '../src/index.js';

aioConformance(() => createBackend());
