/**
 * Benchmarks of the sigaltstack backend: C bodies timed by loops in C (creation
 * on a fresh stack, enter+yield, lifecycle, cost) under the case names the other
 * stackful backends use, so the dashboard sets them side by side; JavaScript
 * bodies: the coroutine suite.
 */
import { createNativeBenchModule } from '@qco/bench';
import { sigaltstackBackendModule } from '@qco/backend-sigaltstack';

export default createNativeBenchModule('sigaltstack', sigaltstackBackendModule);
