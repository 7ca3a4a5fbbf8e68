// qco threads backend: one OS thread per coroutine context, taking turns on the
// isolate under v8::Locker.
//
// V8 cannot run JavaScript on a stack it did not see a Locker taken on (a GC
// would scan the wrong stack), but it does support several threads sharing one
// isolate as long as exactly one of them holds the lock. So a context here is a
// real thread with a small stack; switching to it means: archive our isolate
// state (v8::Unlocker), post a command into its mailbox, sleep on our own
// mailbox. The woken thread re-takes the lock and runs the entry's step() there.
// Because the body has a real stack of its own, a plain JavaScript function can
// block in coroutineYield() at any call depth.
//
// The hand-off is strict (the poster has released the lock before it posts) and
// cheap: a mailbox is one futex word, so a hand-off is one FUTEX_WAKE and one
// FUTEX_WAIT, and the kernel runs the woken thread on the core the waiter just
// gave up. A waiter first polls its mailbox (up to `spin` times, 4000 by default
// from threads.ts, 0 never) while polling pays: waitFor keeps the success rate of
// recent polls and stops polling on a busy machine, where it only keeps the core
// from the thread waited for, probing now and then to resume when the machine is
// idle again, where a futex sleep and wake costs far more than the hand-off.
// Threads are pooled per isolate, so create/delete after
// warm-up costs no thread creation.
//
// Teardown never runs JavaScript: a context deleted while its body is suspended
// is resumed with TerminateExecution pending, which unwinds its JS frames
// without running catch or finally blocks; the thread then goes back to the
// pool. At environment cleanup (worker exit, normal process exit) every thread
// is unwound and retired the same way.

#include <node.h>
#include <v8.h>

#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using v8::Context;
using v8::External;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Global;
using v8::HandleScope;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Locker;
using v8::MaybeLocal;
using v8::Number;
using v8::Object;
using v8::String;
using v8::TryCatch;
using v8::Unlocker;
using v8::Value;

// Mailbox commands. Yield / Terminate / Enter match @qco/backend-api's CoroutineAction.
enum Cmd : uint32_t {
  kNone = 0,
  kYield = 1,
  kTerminate = 2,
  kEnter = 3,
  kThrow = 4,       // the body threw; the exception is in the context
  kKill = 5,        // unwind the suspended body without running JS
  kKilled = 6,      // acknowledgement of kKill
  kExit = 7,        // leave the thread (context retired)
  kExited = 8,      // acknowledgement of kExit
  kHostStop = 9,    // the isolate is terminating (worker.terminate()): pass it on
  kProbe = 10,      // from a probe: the isolate is ours for a moment, look for a termination
  kProbeResume = 11,  // back to the probing thread: nothing pending, go on
  kProbeStop = 12,    // back to the probing thread: a termination was pending, take it
  kTimeout = 13,      // waitFor's timed wait ran out (never posted)
  kSleeping = 0xffffffffu,
};

struct Runtime;

struct Ctx {
  Runtime* rt = nullptr;
  int32_t id = 0;
  bool leader = false;
  // Lifecycle, only touched by whoever holds the isolate lock.
  bool allocated = false;  // handed out by new() and not deleted
  bool started = false;    // the thread holds (an archived) Locker
  bool inBody = false;     // step() is on this thread's stack
  bool entered = false;    // entered and not yet given control back
  bool killing = false;
  Ctx* prober = nullptr;   // the lock holder that lent us the isolate (kProbe)
  Ctx* back = nullptr;     // whom to give control to when the body yields or ends
  std::atomic<uint32_t> mailbox{kNone};
  Global<Object> entry;
  Global<Function> step;
  Global<Value> exception;
  pthread_t thread{};
};

int futex(std::atomic<uint32_t>* word, int op, uint32_t val) {
  return static_cast<int>(syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, val, nullptr, nullptr, 0));
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void post(Ctx* to, uint32_t cmd) {
  if (to->mailbox.exchange(cmd, std::memory_order_acq_rel) == kSleeping) {
    futex(&to->mailbox, FUTEX_WAKE_PRIVATE, 1);
  }
}

struct Runtime {
  Isolate* isolate;
  Global<Context> context;
  std::vector<Ctx*> ctxs;      // by id; ctxs[0] is the leader
  std::vector<Ctx*> idle;      // started or not, no body: ready for new()
  Ctx* running = nullptr;      // the context whose thread holds the lock
  size_t stackSize = 256 * 1024;
  int spin = 0;                      // most polls of the mailbox before sleeping (0: never poll)
  std::atomic<bool> spinOn{true};    // whether waits poll now (see waitFor)
  std::atomic<uint32_t> spinTried{0}, spinWon{0}, spinProbe{0};
  size_t idleMax = 1024;
  uint64_t threadsCreated = 0;
  bool closing = false;
  bool leaderInEnter = false;  // the leader waits in an Enter: a body runs (see Probe)
  bool probing = false;        // a Probe is lending the isolate out
  size_t probeNext = 0;        // where Probe's round-robin goes on
  Global<Function> tripwire;   // an empty JS function: calling it delivers a pending termination at once
};

// Make a pending TerminateExecution take effect before any more JS runs: the
// interrupt is only noticed at a JS function's entry, so enter one.
void terminateNow(Runtime* rt) {
  Isolate* isolate = rt->isolate;
  isolate->TerminateExecution();
  Local<Context> context = isolate->GetCurrentContext();
  (void)rt->tripwire.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr);
}

// Wait for our mailbox. Polling first saves the kernel round trip of a futex
// sleep and wake, which on an idle VM costs tens of microseconds per hand-off;
// but when the CPUs are busy, polling only takes the core from the thread we wait
// for. So polling follows how often it pays: over each window of 256 polled
// waits, a success rate of three quarters or more keeps it on, under one half
// turns it off, and while off every 16th wait still polls, to notice the machine
// going idle.
uint32_t waitFor(Ctx* self, const struct timespec* timeout = nullptr) {
  Runtime* rt = self->rt;
  const int spin = rt->spin;
  uint32_t v;
  if (spin > 0 && (rt->spinOn.load(std::memory_order_relaxed) || (rt->spinProbe.fetch_add(1, std::memory_order_relaxed) & 15) == 0)) {
    bool won = false;
    for (int i = 0; i < spin; i++) {
      v = self->mailbox.load(std::memory_order_acquire);
      if (v != kNone) {
        won = true;
        break;
      }
      cpuRelax();
    }
    uint32_t wins = won ? rt->spinWon.fetch_add(1, std::memory_order_relaxed) + 1 : rt->spinWon.load(std::memory_order_relaxed);
    uint32_t tried = rt->spinTried.fetch_add(1, std::memory_order_relaxed) + 1;
    if (tried >= 256) {
      if (wins * 4 >= tried * 3) rt->spinOn.store(true, std::memory_order_relaxed);
      else if (wins * 2 < tried) rt->spinOn.store(false, std::memory_order_relaxed);
      rt->spinTried.store(0, std::memory_order_relaxed);
      rt->spinWon.store(0, std::memory_order_relaxed);
    }
    if (won) goto got;
  }
  for (;;) {
    v = kNone;
    if (self->mailbox.compare_exchange_strong(v, kSleeping, std::memory_order_acq_rel)) v = kSleeping;
    if (v != kSleeping) break;
    if (timeout == nullptr) {
      futex(&self->mailbox, FUTEX_WAIT_PRIVATE, kSleeping);
    } else if (syscall(SYS_futex, reinterpret_cast<uint32_t*>(&self->mailbox), FUTEX_WAIT_PRIVATE, kSleeping, timeout, nullptr, 0) != 0 &&
               errno == ETIMEDOUT) {
      // Withdraw from sleeping unless a post landed just now.
      uint32_t sleeping = kSleeping;
      if (self->mailbox.compare_exchange_strong(sleeping, kNone, std::memory_order_acq_rel)) return kTimeout;
    }
  }
got:
  self->mailbox.store(kNone, std::memory_order_relaxed);
  return v;
}

// A termination V8 is asked for (worker.terminate()) lands in the isolate state
// of whichever thread has it current, and V8 archives that state with its
// thread. One that lands on a thread just as it hands the isolate on (or while
// it runs JavaScript up to a switch) stays parked with it; if the body now
// running loops in JavaScript and never hands back, nobody sees it and the
// worker never stops. So while the leader waits in an Enter it asks, every
// kProbeEvery, through an isolate interrupt, the running body to lend the
// isolate to parked threads in turn (Probe): the leader first, where such a
// termination nearly always lands, then a few others round-robin. Each looks
// for a termination in its own state by calling into JavaScript; one found is
// handed to the lender, which unwinds as any terminated body does and passes
// kHostStop up the chain of enterers. The cost is bounded: one interrupt and at
// most kProbeTargets bounces per kProbeEvery, and only while a body runs long.
constexpr struct timespec kProbeEvery = {0, 100 * 1000 * 1000};
constexpr size_t kProbeTargets = 8;

void Probe(Isolate* isolate, void* data);

// Run an empty JavaScript function: a termination pending in the current
// thread's isolate state takes effect there. Returns whether one did (and
// cancels it, for the caller to pass on).
bool takePendingTermination(Runtime* rt) {
  Isolate* isolate = rt->isolate;
  HandleScope scope(isolate);
  TryCatch tryCatch(isolate);
  Local<Context> context = rt->context.Get(isolate);
  if (!rt->tripwire.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr).IsEmpty()) return false;
  if (!tryCatch.HasTerminated()) return false;
  isolate->CancelTerminateExecution();
  return true;
}

// Give the isolate to `to` with `cmd` and sleep until someone hands it back to
// `self`; returns the command that woke us. Called with the lock held; returns
// with it held again. A probe that lends us the isolate meanwhile is answered
// here, so every parked thread answers one, whatever it waits for.
uint32_t handOff(Ctx* self, Ctx* to, uint32_t cmd) {
  Runtime* rt = self->rt;
  for (;;) {
    rt->running = to;
    uint32_t got;
    {
      Unlocker unlocker(rt->isolate);
      post(to, cmd);
      if (self->leader && rt->leaderInEnter) {
        while ((got = waitFor(self, &kProbeEvery)) == kTimeout) rt->isolate->RequestInterrupt(Probe, rt);
      } else {
        got = waitFor(self);
      }
    }
    rt->running = self;
    if (got != kProbe) return got;
    to = self->prober;
    self->prober = nullptr;
    cmd = takePendingTermination(rt) ? kProbeStop : kProbeResume;
  }
}

// Whether a probe may lend the isolate to `c`: parked (started, not the lock
// holder) and not being torn down.
bool probeable(Runtime* rt, Ctx* c) {
  return c->id >= 0 && (c->leader || c->started) && c != rt->running && !c->killing;
}

// Interrupt callback, on the thread that runs JavaScript (see above).
void Probe(Isolate* isolate, void* data) {
  Runtime* rt = static_cast<Runtime*>(data);
  Ctx* self = rt->running;
  if (rt->closing || rt->probing || !rt->leaderInEnter || self == nullptr || self->leader || self->killing) return;
  rt->probing = true;
  bool stop = false;
  auto lend = [&](Ctx* c) {
    c->prober = self;
    stop = handOff(self, c, kProbe) == kProbeStop;
  };
  lend(rt->ctxs[0]);
  const size_t n = rt->ctxs.size();
  for (size_t tried = 0, lent = 1; !stop && lent < kProbeTargets && tried + 1 < n; tried++) {
    rt->probeNext = rt->probeNext + 1 < n ? rt->probeNext + 1 : 1;
    Ctx* c = rt->ctxs[rt->probeNext];
    if (!probeable(rt, c)) continue;
    lend(c);
    lent++;
  }
  rt->probing = false;
  if (stop) isolate->TerminateExecution();
}

void* threadMain(void* arg) {
  Ctx* c = static_cast<Ctx*>(arg);
  Runtime* rt = c->rt;
  Isolate* isolate = rt->isolate;
  uint32_t cmd = waitFor(c);
  if (cmd == kExit) {
    // Never ran: it never took the lock, so nothing of it is in V8.
    post(c->back, kExited);
    return nullptr;
  }
  Ctx* ackTo = nullptr;
  {
    Locker locker(isolate);
    Isolate::Scope isolateScope(isolate);
    c->started = true;
    // Keep V8's stack guard inside our small stack, with room below for the
    // native frames (runtime calls, GC) that run past the JS limit.
    {
      pthread_attr_t attr;
      void* low = nullptr;
      size_t size = 0;
      if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &low, &size);
        pthread_attr_destroy(&attr);
        size_t margin = size / 4 < 64 * 1024 ? 64 * 1024 : size / 4;
        if (low != nullptr && size > margin) isolate->SetStackLimit(reinterpret_cast<uintptr_t>(low) + margin);
      }
    }
    HandleScope outer(isolate);
    Local<Context> context = rt->context.Get(isolate);
    Context::Scope contextScope(context);
    for (;;) {
      // cmd is kEnter (or kExit / kKill on an idle context) and we hold the lock.
      if (cmd == kExit) {
        ackTo = c->back;
        break;
      }
      if (cmd == kKill) {  // nothing to unwind
        Ctx* back = c->back;
        cmd = handOff(c, back, kKilled);
        continue;
      }
      uint32_t result;
      {
        HandleScope scope(isolate);
        TryCatch tryCatch(isolate);
        c->inBody = true;
        MaybeLocal<Value> r = c->step.Get(isolate)->Call(context, c->entry.Get(isolate), 0, nullptr);
        c->inBody = false;
        if (r.IsEmpty()) {
          if (tryCatch.HasTerminated() || !tryCatch.CanContinue()) {
            if (c->killing) {
              isolate->CancelTerminateExecution();
              c->killing = false;
              result = kKilled;
            } else {
              result = kHostStop;
            }
          } else {
            c->exception.Reset(isolate, tryCatch.Exception());
            result = kThrow;
          }
        } else {
          int32_t action = r.ToLocalChecked()->Int32Value(context).FromMaybe(kTerminate);
          result = action == kYield ? kYield : kTerminate;
        }
      }
      cmd = handOff(c, c->back, result);
    }
    c->started = false;
  }
  post(ackTo, kExited);
  return nullptr;
}

Runtime* runtimeOf(const FunctionCallbackInfo<Value>& info) {
  return static_cast<Runtime*>(info.Data().As<External>()->Value());
}

void throwError(Isolate* isolate, const std::string& message) {
  isolate->ThrowException(v8::Exception::Error(String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()));
}

Ctx* ctxArg(Runtime* rt, const FunctionCallbackInfo<Value>& info, int i) {
  if (i >= info.Length() || !info[i]->IsInt32()) return nullptr;
  int32_t id = info[i].As<v8::Int32>()->Value();
  if (id < 0 || static_cast<size_t>(id) >= rt->ctxs.size()) return nullptr;
  return rt->ctxs[id];
}

Ctx* spawn(Runtime* rt, std::string* error) {
  Ctx* c = new Ctx();
  c->rt = rt;
  c->id = static_cast<int32_t>(rt->ctxs.size());
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  size_t size = rt->stackSize;
  if (size < static_cast<size_t>(PTHREAD_STACK_MIN)) size = PTHREAD_STACK_MIN;
  pthread_attr_setstacksize(&attr, size);
  int err = pthread_create(&c->thread, &attr, threadMain, c);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    *error = std::string("threads backend: cannot create a thread for a coroutine: ") + strerror(err);
    delete c;
    return nullptr;
  }
  rt->threadsCreated++;
  rt->ctxs.push_back(c);
  return c;
}

// Unwind a suspended body (no JS runs) so that the context is idle again.
void unwind(Ctx* c) {
  Runtime* rt = c->rt;
  if (!c->inBody) return;
  c->killing = true;
  c->back = rt->running;
  handOff(rt->running, c, kKill);
}

// Make the thread leave; the Ctx is kept (ids stay valid) but never reused.
void retire(Ctx* c) {
  Runtime* rt = c->rt;
  unwind(c);
  c->back = rt->running;
  handOff(rt->running, c, kExit);
  c->entry.Reset();
  c->step.Reset();
  c->exception.Reset();
  c->allocated = false;
  c->thread = pthread_t{};
  c->rt = rt;
  c->id = -c->id - 1;  // mark retired
}

// A context whose entry became garbage is abandoned: nobody can enter it again.
// Only an idle one can be collected (a suspended body's frames keep its entry
// alive), so its thread has no JavaScript on it and goes back to the pool.
void EntryCollectedSecondPass(const v8::WeakCallbackInfo<Ctx>& data) {
  Ctx* c = data.GetParameter();
  Runtime* rt = c->rt;
  c->step.Reset();
  c->exception.Reset();
  if (!c->allocated || c->inBody || c->entered) return;
  c->allocated = false;
  if (!rt->closing) rt->idle.push_back(c);
}

void EntryCollected(const v8::WeakCallbackInfo<Ctx>& data) {
  data.GetParameter()->entry.Reset();
  data.SetSecondPassCallback(EntryCollectedSecondPass);
}

// new(entry) -> id
void NewContext(const FunctionCallbackInfo<Value>& info) {
  Runtime* rt = runtimeOf(info);
  Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsObject()) return throwError(isolate, "threads backend: new() needs a CoroutineEntry");
  Local<Object> entry = info[0].As<Object>();
  Local<Context> context = isolate->GetCurrentContext();
  Local<Value> step;
  if (!entry->Get(context, String::NewFromUtf8Literal(isolate, "step")).ToLocal(&step)) return;
  if (!step->IsFunction()) return throwError(isolate, "threads backend: the CoroutineEntry has no step()");
  if (rt->closing) return throwError(isolate, "threads backend: the environment is shutting down");
  Ctx* c;
  if (!rt->idle.empty()) {
    c = rt->idle.back();
    rt->idle.pop_back();
  } else {
    std::string error;
    c = spawn(rt, &error);
    if (c == nullptr) return throwError(isolate, error);
  }
  c->allocated = true;
  c->entry.Reset(isolate, entry);
  c->entry.SetWeak(c, EntryCollected, v8::WeakCallbackType::kParameter);
  c->step.Reset(isolate, step.As<Function>());
  info.GetReturnValue().Set(c->id);
}

// switch(fromId, toId, action) -> action that brought control back
void Switch(const FunctionCallbackInfo<Value>& info) {
  Runtime* rt = runtimeOf(info);
  Isolate* isolate = info.GetIsolate();
  Ctx* from = ctxArg(rt, info, 0);
  Ctx* to = ctxArg(rt, info, 1);
  int32_t action = info.Length() > 2 && info[2]->IsInt32() ? info[2].As<v8::Int32>()->Value() : 0;
  if (from == nullptr || to == nullptr) return throwError(isolate, "threads backend: switch() with an unknown context");
  if (from != rt->running) return throwError(isolate, "threads backend: switch() from a context that is not the running one");
  if (from == to) return throwError(isolate, "threads backend: switch() to the running context");
  if (action == kEnter) {
    if (to->leader || !to->allocated) return throwError(isolate, "threads backend: Enter into a context that is not a live coroutine");
    if (to->entered) return throwError(isolate, "threads backend: Enter into a context that is already entered");
    to->back = from;
    to->entered = true;
    if (from->leader) rt->leaderInEnter = true;
    uint32_t got = handOff(from, to, kEnter);
    if (from->leader) rt->leaderInEnter = false;
    to->entered = false;
    switch (got) {
      case kYield:
      case kTerminate:
        info.GetReturnValue().Set(static_cast<int32_t>(got));
        return;
      case kThrow: {
        Local<Value> exc = to->exception.Get(isolate);
        to->exception.Reset();
        isolate->ThrowException(exc);
        return;
      }
      case kHostStop:
        terminateNow(rt);
        return;
      default:
        return throwError(isolate, "threads backend: unexpected hand-off " + std::to_string(got));
    }
  }
  if (action == kYield) {
    if (from->leader || !from->inBody) return throwError(isolate, "threads backend: Yield from a context that is not running a plain body");
    if (to != from->back) return throwError(isolate, "threads backend: Yield to a context other than the one that entered it");
    uint32_t got = handOff(from, to, kYield);
    if (got == kEnter) {
      info.GetReturnValue().Set(static_cast<int32_t>(kEnter));
      return;
    }
    if (got == kKill) {
      // Deleted while suspended: unwind without running any JS.
      terminateNow(rt);
      return;
    }
    return throwError(isolate, "threads backend: unexpected hand-off " + std::to_string(got));
  }
  return throwError(isolate, "threads backend: switch() action must be Enter or Yield");
}

// delete(id)
void DeleteContext(const FunctionCallbackInfo<Value>& info) {
  Runtime* rt = runtimeOf(info);
  Isolate* isolate = info.GetIsolate();
  Ctx* c = ctxArg(rt, info, 0);
  if (c == nullptr || c->leader || !c->allocated) return throwError(isolate, "threads backend: delete() of a context that is not live");
  // An entered context is running (or waits for one it entered): refuse
  // instead of corrupting the chain of enterers.
  if (c == rt->running || c->entered) return throwError(isolate, "threads backend: delete() of a running context");
  unwind(c);
  c->allocated = false;
  c->entry.Reset();
  c->step.Reset();
  c->exception.Reset();
  if (rt->idle.size() < rt->idleMax) {
    rt->idle.push_back(c);
  } else {
    retire(c);
  }
}

void Configure(const FunctionCallbackInfo<Value>& info) {
  Runtime* rt = runtimeOf(info);
  Local<Context> context = info.GetIsolate()->GetCurrentContext();
  if (info.Length() > 0 && info[0]->IsNumber()) {
    double kb = info[0]->NumberValue(context).FromMaybe(256);
    if (kb >= 16 && kb <= 1024 * 1024) rt->stackSize = static_cast<size_t>(kb) * 1024;
  }
  if (info.Length() > 1 && info[1]->IsNumber()) {
    double spin = info[1]->NumberValue(context).FromMaybe(0);
    if (spin >= 0 && spin <= 1e7) {
      rt->spin = static_cast<int>(spin);
    }
  }
  if (info.Length() > 2 && info[2]->IsNumber()) {
    double max = info[2]->NumberValue(context).FromMaybe(1024);
    if (max >= 0 && max <= 1e6) rt->idleMax = static_cast<size_t>(max);
  }
  while (rt->idle.size() > rt->idleMax) {
    Ctx* c = rt->idle.back();
    rt->idle.pop_back();
    retire(c);
  }
}

void Stats(const FunctionCallbackInfo<Value>& info) {
  Runtime* rt = runtimeOf(info);
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  size_t live = 0, threads = 0;
  for (Ctx* c : rt->ctxs) {
    if (c->leader || c->id < 0) continue;
    threads++;
    if (c->allocated) live++;
  }
  Local<Object> o = Object::New(isolate);
  auto set = [&](const char* k, double v) {
    o->Set(context, String::NewFromUtf8(isolate, k).ToLocalChecked(), Number::New(isolate, v)).Check();
  };
  set("live", static_cast<double>(live));
  set("threads", static_cast<double>(threads));
  set("idle", static_cast<double>(rt->idle.size()));
  set("threadsCreated", static_cast<double>(rt->threadsCreated));
  set("stackSize", static_cast<double>(rt->stackSize));
  info.GetReturnValue().Set(o);
}

// Environment cleanup (worker exit, normal process exit): unwind and retire
// every thread while the isolate still exists, so nothing is left parked on it.
void Cleanup(void* arg) {
  Runtime* rt = static_cast<Runtime*>(arg);
  rt->closing = true;
  Isolate* isolate = rt->isolate;
  if (rt->running == nullptr || !rt->running->leader) return;  // not at top level: leave the threads parked
  HandleScope scope(isolate);
  for (Ctx* c : rt->ctxs) {
    if (c->leader || c->id < 0) continue;
    retire(c);
  }
  rt->idle.clear();
}

std::mutex runtimesMutex;
std::unordered_map<Isolate*, Runtime*> runtimes;

void ForgetRuntime(void* arg) {
  Runtime* rt = static_cast<Runtime*>(arg);
  std::lock_guard<std::mutex> lock(runtimesMutex);
  runtimes.erase(rt->isolate);
  // The Ctx objects of retired threads are leaked on purpose: a thread that
  // could not be retired (cleanup inside a coroutine) may still read its own.
}

Runtime* runtimeFor(Isolate* isolate, Local<Context> context) {
  std::lock_guard<std::mutex> lock(runtimesMutex);
  auto it = runtimes.find(isolate);
  if (it != runtimes.end()) return it->second;
  Runtime* rt = new Runtime();
  rt->isolate = isolate;
  rt->context.Reset(isolate, context);
  Ctx* leader = new Ctx();
  leader->rt = rt;
  leader->id = 0;
  leader->leader = true;
  leader->allocated = true;
  rt->ctxs.push_back(leader);
  rt->running = leader;
    {
    Local<v8::Script> script =
        v8::Script::Compile(context, String::NewFromUtf8Literal(isolate, "(function qcoThreadsTripwire() {})")).ToLocalChecked();
    rt->tripwire.Reset(isolate, script->Run(context).ToLocalChecked().As<Function>());
  }
  runtimes[isolate] = rt;
  node::AddEnvironmentCleanupHook(isolate, ForgetRuntime, rt);
  node::AddEnvironmentCleanupHook(isolate, Cleanup, rt);  // hooks run last-added first
  return rt;
}

// The floor under every switch: `n` round trips between this thread and a
// helper through the same futex mailboxes, with no isolate involved. The
// benchmarks time it beside the backend's round trip in the same run.
#ifdef QCO_TEST_BUILD
// Benchmark only (test builds): the floor under a thread switch, no isolate involved.
struct PingPong {
  std::atomic<uint32_t> a{kNone};
  std::atomic<uint32_t> b{kNone};
  int n = 0;
};

uint32_t waitWord(std::atomic<uint32_t>* w) {
  uint32_t v;
  for (;;) {
    v = kNone;
    if (w->compare_exchange_strong(v, kSleeping, std::memory_order_acq_rel)) v = kSleeping;
    if (v != kSleeping) break;
    futex(w, FUTEX_WAIT_PRIVATE, kSleeping);
  }
  w->store(kNone, std::memory_order_relaxed);
  return v;
}

void postWord(std::atomic<uint32_t>* w, uint32_t cmd) {
  if (w->exchange(cmd, std::memory_order_acq_rel) == kSleeping) futex(w, FUTEX_WAKE_PRIVATE, 1);
}

void* pingPongPartner(void* arg) {
  PingPong* p = static_cast<PingPong*>(arg);
  for (int i = 0; i < p->n; i++) {
    waitWord(&p->a);
    postWord(&p->b, kYield);
  }
  return nullptr;
}

void FutexRoundTrips(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  int n = info.Length() > 0 && info[0]->IsInt32() ? info[0].As<v8::Int32>()->Value() : 0;
  if (n <= 0 || n > 10000000) return throwError(isolate, "futexRoundTrips(n): 1 <= n <= 1e7");
  PingPong p;
  p.n = n;
  pthread_t t;
  if (pthread_create(&t, nullptr, pingPongPartner, &p) != 0) return throwError(isolate, "futexRoundTrips: cannot create a thread");
  for (int i = 0; i < n; i++) {
    postWord(&p.a, kEnter);
    waitWord(&p.b);
  }
  pthread_join(t, nullptr);
}

#endif

void IsLocked(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(Locker::IsLocked(info.GetIsolate()));
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  Isolate* isolate = context->GetIsolate();
  // Node dlcloses an addon when the worker that loaded it exits, but a
  // coroutine thread may still be returning through this library's code after
  // its last hand-off: pin the library for the life of the process.
  {
    Dl_info self;
    if (dladdr(reinterpret_cast<void*>(&threadMain), &self) != 0 && self.dli_fname != nullptr) {
      (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  }
  Runtime* rt = runtimeFor(isolate, context);
  Local<External> data = External::New(isolate, rt);
  auto fn = [&](const char* name, v8::FunctionCallback cb) {
    Local<Function> f = FunctionTemplate::New(isolate, cb, data)->GetFunction(context).ToLocalChecked();
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), f).Check();
  };
  fn("newContext", NewContext);
  fn("switchTo", Switch);
  fn("deleteContext", DeleteContext);
  fn("configure", Configure);
  fn("stats", Stats);
  fn("isLocked", IsLocked);
#ifdef QCO_TEST_BUILD
  fn("futexRoundTrips", FutexRoundTrips);
#endif
  exports->Set(context, String::NewFromUtf8Literal(isolate, "leader"), Integer::New(isolate, 0)).Check();
}
