import {
  __commonJS,
  __require,
  __toESM,
  init_esm_shims
} from "./chunk-DXPUYVZG.js";

// ../../node_modules/.pnpm/benchmark@2.1.4/node_modules/benchmark/benchmark.js
var require_benchmark = __commonJS({
  "../../node_modules/.pnpm/benchmark@2.1.4/node_modules/benchmark/benchmark.js"(exports, module) {
    "use strict";
    init_esm_shims();
    (function() {
      "use strict";
      var undefined2;
      var objectTypes = {
        "function": true,
        "object": true
      };
      var root = objectTypes[typeof window] && window || this;
      var freeDefine = typeof define == "function" && typeof define.amd == "object" && define.amd && define;
      var freeExports = objectTypes[typeof exports] && exports && !exports.nodeType && exports;
      var freeModule = objectTypes[typeof module] && module && !module.nodeType && module;
      var freeGlobal = freeExports && freeModule && typeof global == "object" && global;
      if (freeGlobal && (freeGlobal.global === freeGlobal || freeGlobal.window === freeGlobal || freeGlobal.self === freeGlobal)) {
        root = freeGlobal;
      }
      var freeRequire = typeof __require == "function" && __require;
      var counter = 0;
      var moduleExports = freeModule && freeModule.exports === freeExports && freeExports;
      var rePrimitive = /^(?:boolean|number|string|undefined)$/;
      var uidCounter = 0;
      var contextProps = [
        "Array",
        "Date",
        "Function",
        "Math",
        "Object",
        "RegExp",
        "String",
        "_",
        "clearTimeout",
        "chrome",
        "chromium",
        "document",
        "navigator",
        "phantom",
        "platform",
        "process",
        "runtime",
        "setTimeout"
      ];
      var divisors = {
        "1": 4096,
        "2": 512,
        "3": 64,
        "4": 8,
        "5": 0
      };
      var tTable = {
        "1": 12.706,
        "2": 4.303,
        "3": 3.182,
        "4": 2.776,
        "5": 2.571,
        "6": 2.447,
        "7": 2.365,
        "8": 2.306,
        "9": 2.262,
        "10": 2.228,
        "11": 2.201,
        "12": 2.179,
        "13": 2.16,
        "14": 2.145,
        "15": 2.131,
        "16": 2.12,
        "17": 2.11,
        "18": 2.101,
        "19": 2.093,
        "20": 2.086,
        "21": 2.08,
        "22": 2.074,
        "23": 2.069,
        "24": 2.064,
        "25": 2.06,
        "26": 2.056,
        "27": 2.052,
        "28": 2.048,
        "29": 2.045,
        "30": 2.042,
        "infinity": 1.96
      };
      var uTable = {
        "5": [0, 1, 2],
        "6": [1, 2, 3, 5],
        "7": [1, 3, 5, 6, 8],
        "8": [2, 4, 6, 8, 10, 13],
        "9": [2, 4, 7, 10, 12, 15, 17],
        "10": [3, 5, 8, 11, 14, 17, 20, 23],
        "11": [3, 6, 9, 13, 16, 19, 23, 26, 30],
        "12": [4, 7, 11, 14, 18, 22, 26, 29, 33, 37],
        "13": [4, 8, 12, 16, 20, 24, 28, 33, 37, 41, 45],
        "14": [5, 9, 13, 17, 22, 26, 31, 36, 40, 45, 50, 55],
        "15": [5, 10, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59, 64],
        "16": [6, 11, 15, 21, 26, 31, 37, 42, 47, 53, 59, 64, 70, 75],
        "17": [6, 11, 17, 22, 28, 34, 39, 45, 51, 57, 63, 67, 75, 81, 87],
        "18": [7, 12, 18, 24, 30, 36, 42, 48, 55, 61, 67, 74, 80, 86, 93, 99],
        "19": [7, 13, 19, 25, 32, 38, 45, 52, 58, 65, 72, 78, 85, 92, 99, 106, 113],
        "20": [8, 14, 20, 27, 34, 41, 48, 55, 62, 69, 76, 83, 90, 98, 105, 112, 119, 127],
        "21": [8, 15, 22, 29, 36, 43, 50, 58, 65, 73, 80, 88, 96, 103, 111, 119, 126, 134, 142],
        "22": [9, 16, 23, 30, 38, 45, 53, 61, 69, 77, 85, 93, 101, 109, 117, 125, 133, 141, 150, 158],
        "23": [9, 17, 24, 32, 40, 48, 56, 64, 73, 81, 89, 98, 106, 115, 123, 132, 140, 149, 157, 166, 175],
        "24": [10, 17, 25, 33, 42, 50, 59, 67, 76, 85, 94, 102, 111, 120, 129, 138, 147, 156, 165, 174, 183, 192],
        "25": [10, 18, 27, 35, 44, 53, 62, 71, 80, 89, 98, 107, 117, 126, 135, 145, 154, 163, 173, 182, 192, 201, 211],
        "26": [11, 19, 28, 37, 46, 55, 64, 74, 83, 93, 102, 112, 122, 132, 141, 151, 161, 171, 181, 191, 200, 210, 220, 230],
        "27": [11, 20, 29, 38, 48, 57, 67, 77, 87, 97, 107, 118, 125, 138, 147, 158, 168, 178, 188, 199, 209, 219, 230, 240, 250],
        "28": [12, 21, 30, 40, 50, 60, 70, 80, 90, 101, 111, 122, 132, 143, 154, 164, 175, 186, 196, 207, 218, 228, 239, 250, 261, 272],
        "29": [13, 22, 32, 42, 52, 62, 73, 83, 94, 105, 116, 127, 138, 149, 160, 171, 182, 193, 204, 215, 226, 238, 249, 260, 271, 282, 294],
        "30": [13, 23, 33, 43, 54, 65, 76, 87, 98, 109, 120, 131, 143, 154, 166, 177, 189, 200, 212, 223, 235, 247, 258, 270, 282, 293, 305, 317]
      };
      function runInContext(context) {
        var _ = context && context._ || require2("lodash") || root._;
        if (!_) {
          Benchmark3.runInContext = runInContext;
          return Benchmark3;
        }
        context = context ? _.defaults(root.Object(), context, _.pick(root, contextProps)) : root;
        var Array = context.Array, Date2 = context.Date, Function = context.Function, Math2 = context.Math, Object = context.Object, RegExp = context.RegExp, String2 = context.String;
        var arrayRef = [], objectProto = Object.prototype;
        var abs = Math2.abs, clearTimeout2 = context.clearTimeout, floor = Math2.floor, log = Math2.log, max = Math2.max, min = Math2.min, pow = Math2.pow, push = arrayRef.push, setTimeout2 = context.setTimeout, shift = arrayRef.shift, slice = arrayRef.slice, sqrt = Math2.sqrt, toString = objectProto.toString, unshift = arrayRef.unshift;
        var req = require2;
        var doc = isHostType(context, "document") && context.document;
        var microtimeObject = req("microtime");
        var processObject = isHostType(context, "process") && context.process;
        var trash = doc && doc.createElement("div");
        var uid = "uid" + _.now();
        var calledBy = {};
        var support = {};
        (function() {
          support.browser = doc && isHostType(context, "navigator") && !isHostType(context, "phantom");
          support.timeout = isHostType(context, "setTimeout") && isHostType(context, "clearTimeout");
          try {
            support.decompilation = Function(
              ("return (" + (function(x) {
                return { "x": "" + (1 + x), "y": 0 };
              }) + ")").replace(/__cov__[^;]+;/g, "")
            )()(0).x === "1";
          } catch (e) {
            support.decompilation = false;
          }
        })();
        var timer = {
          /**
           * The timer namespace object or constructor.
           *
           * @private
           * @memberOf timer
           * @type {Function|Object}
           */
          "ns": Date2,
          /**
           * Starts the deferred timer.
           *
           * @private
           * @memberOf timer
           * @param {Object} deferred The deferred instance.
           */
          "start": null,
          // Lazy defined in `clock()`.
          /**
           * Stops the deferred timer.
           *
           * @private
           * @memberOf timer
           * @param {Object} deferred The deferred instance.
           */
          "stop": null
          // Lazy defined in `clock()`.
        };
        function Benchmark3(name, fn, options) {
          var bench = this;
          if (!(bench instanceof Benchmark3)) {
            return new Benchmark3(name, fn, options);
          }
          if (_.isPlainObject(name)) {
            options = name;
          } else if (_.isFunction(name)) {
            options = fn;
            fn = name;
          } else if (_.isPlainObject(fn)) {
            options = fn;
            fn = null;
            bench.name = name;
          } else {
            bench.name = name;
          }
          setOptions(bench, options);
          bench.id || (bench.id = ++counter);
          bench.fn == null && (bench.fn = fn);
          bench.stats = cloneDeep(bench.stats);
          bench.times = cloneDeep(bench.times);
        }
        function Deferred(clone2) {
          var deferred = this;
          if (!(deferred instanceof Deferred)) {
            return new Deferred(clone2);
          }
          deferred.benchmark = clone2;
          clock(deferred);
        }
        function Event(type) {
          var event = this;
          if (type instanceof Event) {
            return type;
          }
          return event instanceof Event ? _.assign(event, { "timeStamp": _.now() }, typeof type == "string" ? { "type": type } : type) : new Event(type);
        }
        function Suite(name, options) {
          var suite = this;
          if (!(suite instanceof Suite)) {
            return new Suite(name, options);
          }
          if (_.isPlainObject(name)) {
            options = name;
          } else {
            suite.name = name;
          }
          setOptions(suite, options);
        }
        var cloneDeep = _.partial(_.cloneDeepWith, _, function(value) {
          if (!_.isArray(value) && !_.isPlainObject(value)) {
            return value;
          }
        });
        function createFunction() {
          createFunction = function(args, body) {
            var result, anchor = freeDefine ? freeDefine.amd : Benchmark3, prop = uid + "createFunction";
            runScript((freeDefine ? "define.amd." : "Benchmark.") + prop + "=function(" + args + "){" + body + "}");
            result = anchor[prop];
            delete anchor[prop];
            return result;
          };
          createFunction = support.browser && (createFunction("", 'return"' + uid + '"') || _.noop)() == uid ? createFunction : Function;
          return createFunction.apply(null, arguments);
        }
        function delay(bench, fn) {
          bench._timerId = _.delay(fn, bench.delay * 1e3);
        }
        function destroyElement(element) {
          trash.appendChild(element);
          trash.innerHTML = "";
        }
        function getFirstArgument(fn) {
          return !_.has(fn, "toString") && (/^[\s(]*function[^(]*\(([^\s,)]+)/.exec(fn) || 0)[1] || "";
        }
        function getMean(sample) {
          return _.reduce(sample, function(sum, x) {
            return sum + x;
          }) / sample.length || 0;
        }
        function getSource(fn) {
          var result = "";
          if (isStringable(fn)) {
            result = String2(fn);
          } else if (support.decompilation) {
            result = _.result(/^[^{]+\{([\s\S]*)\}\s*$/.exec(fn), 1);
          }
          result = (result || "").replace(/^\s+|\s+$/g, "");
          return /^(?:\/\*+[\w\W]*?\*\/|\/\/.*?[\n\r\u2028\u2029]|\s)*(["'])use strict\1;?$/.test(result) ? "" : result;
        }
        function isClassOf(value, name) {
          return value != null && toString.call(value) == "[object " + name + "]";
        }
        function isHostType(object, property) {
          if (object == null) {
            return false;
          }
          var type = typeof object[property];
          return !rePrimitive.test(type) && (type != "object" || !!object[property]);
        }
        function isStringable(value) {
          return _.isString(value) || _.has(value, "toString") && _.isFunction(value.toString);
        }
        function require2(id) {
          try {
            var result = freeExports && freeRequire(id);
          } catch (e) {
          }
          return result || null;
        }
        function runScript(code) {
          var anchor = freeDefine ? define.amd : Benchmark3, script = doc.createElement("script"), sibling = doc.getElementsByTagName("script")[0], parent = sibling.parentNode, prop = uid + "runScript", prefix = "(" + (freeDefine ? "define.amd." : "Benchmark.") + prop + "||function(){})();";
          try {
            script.appendChild(doc.createTextNode(prefix + code));
            anchor[prop] = function() {
              destroyElement(script);
            };
          } catch (e) {
            parent = parent.cloneNode(false);
            sibling = null;
            script.text = code;
          }
          parent.insertBefore(script, sibling);
          delete anchor[prop];
        }
        function setOptions(object, options) {
          options = object.options = _.assign({}, cloneDeep(object.constructor.options), cloneDeep(options));
          _.forOwn(options, function(value, key) {
            if (value != null) {
              if (/^on[A-Z]/.test(key)) {
                _.each(key.split(" "), function(key2) {
                  object.on(key2.slice(2).toLowerCase(), value);
                });
              } else if (!_.has(object, key)) {
                object[key] = cloneDeep(value);
              }
            }
          });
        }
        function resolve() {
          var deferred = this, clone2 = deferred.benchmark, bench = clone2._original;
          if (bench.aborted) {
            deferred.teardown();
            clone2.running = false;
            cycle(deferred);
          } else if (++deferred.cycles < clone2.count) {
            clone2.compiled.call(deferred, context, timer);
          } else {
            timer.stop(deferred);
            deferred.teardown();
            delay(clone2, function() {
              cycle(deferred);
            });
          }
        }
        function filter(array, callback) {
          if (callback === "successful") {
            callback = function(bench) {
              return bench.cycles && _.isFinite(bench.hz) && !bench.error;
            };
          } else if (callback === "fastest" || callback === "slowest") {
            var result = filter(array, "successful").sort(function(a, b) {
              a = a.stats;
              b = b.stats;
              return (a.mean + a.moe > b.mean + b.moe ? 1 : -1) * (callback === "fastest" ? 1 : -1);
            });
            return _.filter(result, function(bench) {
              return result[0].compare(bench) == 0;
            });
          }
          return _.filter(array, callback);
        }
        function formatNumber(number) {
          number = String2(number).split(".");
          return number[0].replace(/(?=(?:\d{3})+$)(?!\b)/g, ",") + (number[1] ? "." + number[1] : "");
        }
        function invoke(benches, name) {
          var args, bench, queued, index = -1, eventProps = { "currentTarget": benches }, options = { "onStart": _.noop, "onCycle": _.noop, "onComplete": _.noop }, result = _.toArray(benches);
          function execute() {
            var listeners2, async = isAsync(bench);
            if (async) {
              bench.on("complete", getNext);
              listeners2 = bench.events.complete;
              listeners2.splice(0, 0, listeners2.pop());
            }
            result[index] = _.isFunction(bench && bench[name]) ? bench[name].apply(bench, args) : undefined2;
            return !async && getNext();
          }
          function getNext(event) {
            var cycleEvent, last = bench, async = isAsync(last);
            if (async) {
              last.off("complete", getNext);
              last.emit("complete");
            }
            eventProps.type = "cycle";
            eventProps.target = last;
            cycleEvent = Event(eventProps);
            options.onCycle.call(benches, cycleEvent);
            if (!cycleEvent.aborted && raiseIndex() !== false) {
              bench = queued ? benches[0] : result[index];
              if (isAsync(bench)) {
                delay(bench, execute);
              } else if (async) {
                while (execute()) {
                }
              } else {
                return true;
              }
            } else {
              eventProps.type = "complete";
              options.onComplete.call(benches, Event(eventProps));
            }
            if (event) {
              event.aborted = true;
            } else {
              return false;
            }
          }
          function isAsync(object) {
            var async = args[0] && args[0].async;
            return name == "run" && object instanceof Benchmark3 && ((async == null ? object.options.async : async) && support.timeout || object.defer);
          }
          function raiseIndex() {
            index++;
            if (queued && index > 0) {
              shift.call(benches);
            }
            return (queued ? benches.length : index < result.length) ? index : index = false;
          }
          if (_.isString(name)) {
            args = slice.call(arguments, 2);
          } else {
            options = _.assign(options, name);
            name = options.name;
            args = _.isArray(args = "args" in options ? options.args : []) ? args : [args];
            queued = options.queued;
          }
          if (raiseIndex() !== false) {
            bench = result[index];
            eventProps.type = "start";
            eventProps.target = bench;
            options.onStart.call(benches, Event(eventProps));
            if (name == "run" && benches instanceof Suite && benches.aborted) {
              eventProps.type = "cycle";
              options.onCycle.call(benches, Event(eventProps));
              eventProps.type = "complete";
              options.onComplete.call(benches, Event(eventProps));
            } else {
              if (isAsync(bench)) {
                delay(bench, execute);
              } else {
                while (execute()) {
                }
              }
            }
          }
          return result;
        }
        function join3(object, separator1, separator2) {
          var result = [], length = (object = Object(object)).length, arrayLike = length === length >>> 0;
          separator2 || (separator2 = ": ");
          _.each(object, function(value, key) {
            result.push(arrayLike ? value : key + separator2 + value);
          });
          return result.join(separator1 || ",");
        }
        function abortSuite() {
          var event, suite = this, resetting = calledBy.resetSuite;
          if (suite.running) {
            event = Event("abort");
            suite.emit(event);
            if (!event.cancelled || resetting) {
              calledBy.abortSuite = true;
              suite.reset();
              delete calledBy.abortSuite;
              if (!resetting) {
                suite.aborted = true;
                invoke(suite, "abort");
              }
            }
          }
          return suite;
        }
        function add(name, fn, options) {
          var suite = this, bench = new Benchmark3(name, fn, options), event = Event({ "type": "add", "target": bench });
          if (suite.emit(event), !event.cancelled) {
            suite.push(bench);
          }
          return suite;
        }
        function cloneSuite(options) {
          var suite = this, result = new suite.constructor(_.assign({}, suite.options, options));
          _.forOwn(suite, function(value, key) {
            if (!_.has(result, key)) {
              result[key] = _.isFunction(_.get(value, "clone")) ? value.clone() : cloneDeep(value);
            }
          });
          return result;
        }
        function filterSuite(callback) {
          var suite = this, result = new suite.constructor(suite.options);
          result.push.apply(result, filter(suite, callback));
          return result;
        }
        function resetSuite() {
          var event, suite = this, aborting = calledBy.abortSuite;
          if (suite.running && !aborting) {
            calledBy.resetSuite = true;
            suite.abort();
            delete calledBy.resetSuite;
          } else if ((suite.aborted || suite.running) && (suite.emit(event = Event("reset")), !event.cancelled)) {
            suite.aborted = suite.running = false;
            if (!aborting) {
              invoke(suite, "reset");
            }
          }
          return suite;
        }
        function runSuite(options) {
          var suite = this;
          suite.reset();
          suite.running = true;
          options || (options = {});
          invoke(suite, {
            "name": "run",
            "args": options,
            "queued": options.queued,
            "onStart": function(event) {
              suite.emit(event);
            },
            "onCycle": function(event) {
              var bench = event.target;
              if (bench.error) {
                suite.emit({ "type": "error", "target": bench });
              }
              suite.emit(event);
              event.aborted = suite.aborted;
            },
            "onComplete": function(event) {
              suite.running = false;
              suite.emit(event);
            }
          });
          return suite;
        }
        function emit(type) {
          var listeners2, object = this, event = Event(type), events = object.events, args = (arguments[0] = event, arguments);
          event.currentTarget || (event.currentTarget = object);
          event.target || (event.target = object);
          delete event.result;
          if (events && (listeners2 = _.has(events, event.type) && events[event.type])) {
            _.each(listeners2.slice(), function(listener) {
              if ((event.result = listener.apply(object, args)) === false) {
                event.cancelled = true;
              }
              return !event.aborted;
            });
          }
          return event.result;
        }
        function listeners(type) {
          var object = this, events = object.events || (object.events = {});
          return _.has(events, type) ? events[type] : events[type] = [];
        }
        function off(type, listener) {
          var object = this, events = object.events;
          if (!events) {
            return object;
          }
          _.each(type ? type.split(" ") : events, function(listeners2, type2) {
            var index;
            if (typeof listeners2 == "string") {
              type2 = listeners2;
              listeners2 = _.has(events, type2) && events[type2];
            }
            if (listeners2) {
              if (listener) {
                index = _.indexOf(listeners2, listener);
                if (index > -1) {
                  listeners2.splice(index, 1);
                }
              } else {
                listeners2.length = 0;
              }
            }
          });
          return object;
        }
        function on(type, listener) {
          var object = this, events = object.events || (object.events = {});
          _.each(type.split(" "), function(type2) {
            (_.has(events, type2) ? events[type2] : events[type2] = []).push(listener);
          });
          return object;
        }
        function abort() {
          var event, bench = this, resetting = calledBy.reset;
          if (bench.running) {
            event = Event("abort");
            bench.emit(event);
            if (!event.cancelled || resetting) {
              calledBy.abort = true;
              bench.reset();
              delete calledBy.abort;
              if (support.timeout) {
                clearTimeout2(bench._timerId);
                delete bench._timerId;
              }
              if (!resetting) {
                bench.aborted = true;
                bench.running = false;
              }
            }
          }
          return bench;
        }
        function clone(options) {
          var bench = this, result = new bench.constructor(_.assign({}, bench, options));
          result.options = _.assign({}, cloneDeep(bench.options), cloneDeep(options));
          _.forOwn(bench, function(value, key) {
            if (!_.has(result, key)) {
              result[key] = cloneDeep(value);
            }
          });
          return result;
        }
        function compare(other) {
          var bench = this;
          if (bench == other) {
            return 0;
          }
          var critical, zStat, sample1 = bench.stats.sample, sample2 = other.stats.sample, size1 = sample1.length, size2 = sample2.length, maxSize = max(size1, size2), minSize = min(size1, size2), u1 = getU(sample1, sample2), u2 = getU(sample2, sample1), u = min(u1, u2);
          function getScore(xA, sampleB) {
            return _.reduce(sampleB, function(total, xB) {
              return total + (xB > xA ? 0 : xB < xA ? 1 : 0.5);
            }, 0);
          }
          function getU(sampleA, sampleB) {
            return _.reduce(sampleA, function(total, xA) {
              return total + getScore(xA, sampleB);
            }, 0);
          }
          function getZ(u3) {
            return (u3 - size1 * size2 / 2) / sqrt(size1 * size2 * (size1 + size2 + 1) / 12);
          }
          if (size1 + size2 > 30) {
            zStat = getZ(u);
            return abs(zStat) > 1.96 ? u == u1 ? 1 : -1 : 0;
          }
          critical = maxSize < 5 || minSize < 3 ? 0 : uTable[maxSize][minSize - 3];
          return u <= critical ? u == u1 ? 1 : -1 : 0;
        }
        function reset() {
          var bench = this;
          if (bench.running && !calledBy.abort) {
            calledBy.reset = true;
            bench.abort();
            delete calledBy.reset;
            return bench;
          }
          var event, index = 0, changes = [], queue = [];
          var data = {
            "destination": bench,
            "source": _.assign({}, cloneDeep(bench.constructor.prototype), cloneDeep(bench.options))
          };
          do {
            _.forOwn(data.source, function(value, key) {
              var changed, destination = data.destination, currValue = destination[key];
              if (/^_|^events$|^on[A-Z]/.test(key)) {
                return;
              }
              if (_.isObjectLike(value)) {
                if (_.isArray(value)) {
                  if (!_.isArray(currValue)) {
                    changed = true;
                    currValue = [];
                  }
                  if (currValue.length != value.length) {
                    changed = true;
                    currValue = currValue.slice(0, value.length);
                    currValue.length = value.length;
                  }
                } else if (!_.isObjectLike(currValue)) {
                  changed = true;
                  currValue = {};
                }
                if (changed) {
                  changes.push({ "destination": destination, "key": key, "value": currValue });
                }
                queue.push({ "destination": currValue, "source": value });
              } else if (!_.eq(currValue, value) && value !== undefined2) {
                changes.push({ "destination": destination, "key": key, "value": value });
              }
            });
          } while (data = queue[index++]);
          if (changes.length && (bench.emit(event = Event("reset")), !event.cancelled)) {
            _.each(changes, function(data2) {
              data2.destination[data2.key] = data2.value;
            });
          }
          return bench;
        }
        function toStringBench() {
          var bench = this, error = bench.error, hz = bench.hz, id = bench.id, stats = bench.stats, size = stats.sample.length, pm = "\xB1", result = bench.name || (_.isNaN(id) ? id : "<Test #" + id + ">");
          if (error) {
            var errorStr;
            if (!_.isObject(error)) {
              errorStr = String2(error);
            } else if (!_.isError(Error)) {
              errorStr = join3(error);
            } else {
              errorStr = join3(_.assign({ "name": error.name, "message": error.message }, error));
            }
            result += ": " + errorStr;
          } else {
            result += " x " + formatNumber(hz.toFixed(hz < 100 ? 2 : 0)) + " ops/sec " + pm + stats.rme.toFixed(2) + "% (" + size + " run" + (size == 1 ? "" : "s") + " sampled)";
          }
          return result;
        }
        function clock() {
          var options = Benchmark3.options, templateData = {}, timers = [{ "ns": timer.ns, "res": max(15e-4, getRes("ms")), "unit": "ms" }];
          clock = function(clone2) {
            var deferred;
            if (clone2 instanceof Deferred) {
              deferred = clone2;
              clone2 = deferred.benchmark;
            }
            var bench = clone2._original, stringable = isStringable(bench.fn), count = bench.count = clone2.count, decompilable = stringable || support.decompilation && (clone2.setup !== _.noop || clone2.teardown !== _.noop), id = bench.id, name = bench.name || (typeof id == "number" ? "<Test #" + id + ">" : id), result = 0;
            clone2.minTime = bench.minTime || (bench.minTime = bench.options.minTime = options.minTime);
            var funcBody = deferred ? 'var d#=this,${fnArg}=d#,m#=d#.benchmark._original,f#=m#.fn,su#=m#.setup,td#=m#.teardown;if(!d#.cycles){d#.fn=function(){var ${fnArg}=d#;if(typeof f#=="function"){try{${fn}\n}catch(e#){f#(d#)}}else{${fn}\n}};d#.teardown=function(){d#.cycles=0;if(typeof td#=="function"){try{${teardown}\n}catch(e#){td#()}}else{${teardown}\n}};if(typeof su#=="function"){try{${setup}\n}catch(e#){su#()}}else{${setup}\n};t#.start(d#);}d#.fn();return{uid:"${uid}"}' : 'var r#,s#,m#=this,f#=m#.fn,i#=m#.count,n#=t#.ns;${setup}\n${begin};while(i#--){${fn}\n}${end};${teardown}\nreturn{elapsed:r#,uid:"${uid}"}';
            var compiled = bench.compiled = clone2.compiled = createCompiled(bench, decompilable, deferred, funcBody), isEmpty = !(templateData.fn || stringable);
            try {
              if (isEmpty) {
                throw new Error('The test "' + name + '" is empty. This may be the result of dead code removal.');
              } else if (!deferred) {
                bench.count = 1;
                compiled = decompilable && (compiled.call(bench, context, timer) || {}).uid == templateData.uid && compiled;
                bench.count = count;
              }
            } catch (e) {
              compiled = null;
              clone2.error = e || new Error(String2(e));
              bench.count = count;
            }
            if (!compiled && !deferred && !isEmpty) {
              funcBody = (stringable || decompilable && !clone2.error ? "function f#(){${fn}\n}var r#,s#,m#=this,i#=m#.count" : "var r#,s#,m#=this,f#=m#.fn,i#=m#.count") + ",n#=t#.ns;${setup}\n${begin};m#.f#=f#;while(i#--){m#.f#()}${end};delete m#.f#;${teardown}\nreturn{elapsed:r#}";
              compiled = createCompiled(bench, decompilable, deferred, funcBody);
              try {
                bench.count = 1;
                compiled.call(bench, context, timer);
                bench.count = count;
                delete clone2.error;
              } catch (e) {
                bench.count = count;
                if (!clone2.error) {
                  clone2.error = e || new Error(String2(e));
                }
              }
            }
            if (!clone2.error) {
              compiled = bench.compiled = clone2.compiled = createCompiled(bench, decompilable, deferred, funcBody);
              result = compiled.call(deferred || bench, context, timer).elapsed;
            }
            return result;
          };
          function createCompiled(bench, decompilable, deferred, body) {
            var fn = bench.fn, fnArg = deferred ? getFirstArgument(fn) || "deferred" : "";
            templateData.uid = uid + uidCounter++;
            _.assign(templateData, {
              "setup": decompilable ? getSource(bench.setup) : interpolate("m#.setup()"),
              "fn": decompilable ? getSource(fn) : interpolate("m#.fn(" + fnArg + ")"),
              "fnArg": fnArg,
              "teardown": decompilable ? getSource(bench.teardown) : interpolate("m#.teardown()")
            });
            if (timer.unit == "ns") {
              _.assign(templateData, {
                "begin": interpolate("s#=n#()"),
                "end": interpolate("r#=n#(s#);r#=r#[0]+(r#[1]/1e9)")
              });
            } else if (timer.unit == "us") {
              if (timer.ns.stop) {
                _.assign(templateData, {
                  "begin": interpolate("s#=n#.start()"),
                  "end": interpolate("r#=n#.microseconds()/1e6")
                });
              } else {
                _.assign(templateData, {
                  "begin": interpolate("s#=n#()"),
                  "end": interpolate("r#=(n#()-s#)/1e6")
                });
              }
            } else if (timer.ns.now) {
              _.assign(templateData, {
                "begin": interpolate("s#=n#.now()"),
                "end": interpolate("r#=(n#.now()-s#)/1e3")
              });
            } else {
              _.assign(templateData, {
                "begin": interpolate("s#=new n#().getTime()"),
                "end": interpolate("r#=(new n#().getTime()-s#)/1e3")
              });
            }
            timer.start = createFunction(
              interpolate("o#"),
              interpolate("var n#=this.ns,${begin};o#.elapsed=0;o#.timeStamp=s#")
            );
            timer.stop = createFunction(
              interpolate("o#"),
              interpolate("var n#=this.ns,s#=o#.timeStamp,${end};o#.elapsed=r#")
            );
            return createFunction(
              interpolate("window,t#"),
              "var global = window, clearTimeout = global.clearTimeout, setTimeout = global.setTimeout;\n" + interpolate(body)
            );
          }
          function getRes(unit) {
            var measured, begin, count = 30, divisor = 1e3, ns = timer.ns, sample = [];
            while (count--) {
              if (unit == "us") {
                divisor = 1e6;
                if (ns.stop) {
                  ns.start();
                  while (!(measured = ns.microseconds())) {
                  }
                } else {
                  begin = ns();
                  while (!(measured = ns() - begin)) {
                  }
                }
              } else if (unit == "ns") {
                divisor = 1e9;
                begin = (begin = ns())[0] + begin[1] / divisor;
                while (!(measured = (measured = ns())[0] + measured[1] / divisor - begin)) {
                }
                divisor = 1;
              } else if (ns.now) {
                begin = ns.now();
                while (!(measured = ns.now() - begin)) {
                }
              } else {
                begin = new ns().getTime();
                while (!(measured = new ns().getTime() - begin)) {
                }
              }
              if (measured > 0) {
                sample.push(measured);
              } else {
                sample.push(Infinity);
                break;
              }
            }
            return getMean(sample) / divisor;
          }
          function interpolate(string) {
            return _.template(string.replace(/\#/g, /\d+/.exec(templateData.uid)))(templateData);
          }
          try {
            if (timer.ns = new (context.chrome || context.chromium).Interval()) {
              timers.push({ "ns": timer.ns, "res": getRes("us"), "unit": "us" });
            }
          } catch (e) {
          }
          if (processObject && typeof (timer.ns = processObject.hrtime) == "function") {
            timers.push({ "ns": timer.ns, "res": getRes("ns"), "unit": "ns" });
          }
          if (microtimeObject && typeof (timer.ns = microtimeObject.now) == "function") {
            timers.push({ "ns": timer.ns, "res": getRes("us"), "unit": "us" });
          }
          timer = _.minBy(timers, "res");
          if (timer.res == Infinity) {
            throw new Error("Benchmark.js was unable to find a working timer.");
          }
          options.minTime || (options.minTime = max(timer.res / 2 / 0.01, 0.05));
          return clock.apply(null, arguments);
        }
        function compute(bench, options) {
          options || (options = {});
          var async = options.async, elapsed = 0, initCount = bench.initCount, minSamples = bench.minSamples, queue = [], sample = bench.stats.sample;
          function enqueue() {
            queue.push(_.assign(bench.clone(), {
              "_original": bench,
              "events": {
                "abort": [update],
                "cycle": [update],
                "error": [update],
                "start": [update]
              }
            }));
          }
          function update(event) {
            var clone2 = this, type = event.type;
            if (bench.running) {
              if (type == "start") {
                clone2.count = bench.initCount;
              } else {
                if (type == "error") {
                  bench.error = clone2.error;
                }
                if (type == "abort") {
                  bench.abort();
                  bench.emit("cycle");
                } else {
                  event.currentTarget = event.target = bench;
                  bench.emit(event);
                }
              }
            } else if (bench.aborted) {
              clone2.events.abort.length = 0;
              clone2.abort();
            }
          }
          function evaluate(event) {
            var critical, df, mean, moe, rme, sd, sem, variance, clone2 = event.target, done = bench.aborted, now = _.now(), size = sample.push(clone2.times.period), maxedOut = size >= minSamples && (elapsed += now - clone2.times.timeStamp) / 1e3 > bench.maxTime, times = bench.times, varOf = function(sum, x) {
              return sum + pow(x - mean, 2);
            };
            if (done || clone2.hz == Infinity) {
              maxedOut = !(size = sample.length = queue.length = 0);
            }
            if (!done) {
              mean = getMean(sample);
              variance = _.reduce(sample, varOf, 0) / (size - 1) || 0;
              sd = sqrt(variance);
              sem = sd / sqrt(size);
              df = size - 1;
              critical = tTable[Math2.round(df) || 1] || tTable.infinity;
              moe = sem * critical;
              rme = moe / mean * 100 || 0;
              _.assign(bench.stats, {
                "deviation": sd,
                "mean": mean,
                "moe": moe,
                "rme": rme,
                "sem": sem,
                "variance": variance
              });
              if (maxedOut) {
                bench.initCount = initCount;
                bench.running = false;
                done = true;
                times.elapsed = (now - times.timeStamp) / 1e3;
              }
              if (bench.hz != Infinity) {
                bench.hz = 1 / mean;
                times.cycle = mean * bench.count;
                times.period = mean;
              }
            }
            if (queue.length < 2 && !maxedOut) {
              enqueue();
            }
            event.aborted = done;
          }
          enqueue();
          invoke(queue, {
            "name": "run",
            "args": { "async": async },
            "queued": true,
            "onCycle": evaluate,
            "onComplete": function() {
              bench.emit("complete");
            }
          });
        }
        function cycle(clone2, options) {
          options || (options = {});
          var deferred;
          if (clone2 instanceof Deferred) {
            deferred = clone2;
            clone2 = clone2.benchmark;
          }
          var clocked, cycles, divisor, event, minTime, period, async = options.async, bench = clone2._original, count = clone2.count, times = clone2.times;
          if (clone2.running) {
            cycles = ++clone2.cycles;
            clocked = deferred ? deferred.elapsed : clock(clone2);
            minTime = clone2.minTime;
            if (cycles > bench.cycles) {
              bench.cycles = cycles;
            }
            if (clone2.error) {
              event = Event("error");
              event.message = clone2.error;
              clone2.emit(event);
              if (!event.cancelled) {
                clone2.abort();
              }
            }
          }
          if (clone2.running) {
            bench.times.cycle = times.cycle = clocked;
            period = bench.times.period = times.period = clocked / count;
            bench.hz = clone2.hz = 1 / period;
            bench.initCount = clone2.initCount = count;
            clone2.running = clocked < minTime;
            if (clone2.running) {
              if (!clocked && (divisor = divisors[clone2.cycles]) != null) {
                count = floor(4e6 / divisor);
              }
              if (count <= clone2.count) {
                count += Math2.ceil((minTime - clocked) / period);
              }
              clone2.running = count != Infinity;
            }
          }
          event = Event("cycle");
          clone2.emit(event);
          if (event.aborted) {
            clone2.abort();
          }
          if (clone2.running) {
            clone2.count = count;
            if (deferred) {
              clone2.compiled.call(deferred, context, timer);
            } else if (async) {
              delay(clone2, function() {
                cycle(clone2, options);
              });
            } else {
              cycle(clone2);
            }
          } else {
            if (support.browser) {
              runScript(uid + "=1;delete " + uid);
            }
            clone2.emit("complete");
          }
        }
        function run2(options) {
          var bench = this, event = Event("start");
          bench.running = false;
          bench.reset();
          bench.running = true;
          bench.count = bench.initCount;
          bench.times.timeStamp = _.now();
          bench.emit(event);
          if (!event.cancelled) {
            options = { "async": ((options = options && options.async) == null ? bench.async : options) && support.timeout };
            if (bench._original) {
              if (bench.defer) {
                Deferred(bench);
              } else {
                cycle(bench, options);
              }
            } else {
              compute(bench, options);
            }
          }
          return bench;
        }
        _.assign(Benchmark3, {
          /**
           * The default options copied by benchmark instances.
           *
           * @static
           * @memberOf Benchmark
           * @type Object
           */
          "options": {
            /**
             * A flag to indicate that benchmark cycles will execute asynchronously
             * by default.
             *
             * @memberOf Benchmark.options
             * @type boolean
             */
            "async": false,
            /**
             * A flag to indicate that the benchmark clock is deferred.
             *
             * @memberOf Benchmark.options
             * @type boolean
             */
            "defer": false,
            /**
             * The delay between test cycles (secs).
             * @memberOf Benchmark.options
             * @type number
             */
            "delay": 5e-3,
            /**
             * Displayed by `Benchmark#toString` when a `name` is not available
             * (auto-generated if absent).
             *
             * @memberOf Benchmark.options
             * @type string
             */
            "id": undefined2,
            /**
             * The default number of times to execute a test on a benchmark's first cycle.
             *
             * @memberOf Benchmark.options
             * @type number
             */
            "initCount": 1,
            /**
             * The maximum time a benchmark is allowed to run before finishing (secs).
             *
             * Note: Cycle delays aren't counted toward the maximum time.
             *
             * @memberOf Benchmark.options
             * @type number
             */
            "maxTime": 5,
            /**
             * The minimum sample size required to perform statistical analysis.
             *
             * @memberOf Benchmark.options
             * @type number
             */
            "minSamples": 5,
            /**
             * The time needed to reduce the percent uncertainty of measurement to 1% (secs).
             *
             * @memberOf Benchmark.options
             * @type number
             */
            "minTime": 0,
            /**
             * The name of the benchmark.
             *
             * @memberOf Benchmark.options
             * @type string
             */
            "name": undefined2,
            /**
             * An event listener called when the benchmark is aborted.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onAbort": undefined2,
            /**
             * An event listener called when the benchmark completes running.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onComplete": undefined2,
            /**
             * An event listener called after each run cycle.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onCycle": undefined2,
            /**
             * An event listener called when a test errors.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onError": undefined2,
            /**
             * An event listener called when the benchmark is reset.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onReset": undefined2,
            /**
             * An event listener called when the benchmark starts running.
             *
             * @memberOf Benchmark.options
             * @type Function
             */
            "onStart": undefined2
          },
          /**
           * Platform object with properties describing things like browser name,
           * version, and operating system. See [`platform.js`](https://mths.be/platform).
           *
           * @static
           * @memberOf Benchmark
           * @type Object
           */
          "platform": context.platform || require2("platform") || {
            "description": context.navigator && context.navigator.userAgent || null,
            "layout": null,
            "product": null,
            "name": null,
            "manufacturer": null,
            "os": null,
            "prerelease": null,
            "version": null,
            "toString": function() {
              return this.description || "";
            }
          },
          /**
           * The semantic version number.
           *
           * @static
           * @memberOf Benchmark
           * @type string
           */
          "version": "2.1.4"
        });
        _.assign(Benchmark3, {
          "filter": filter,
          "formatNumber": formatNumber,
          "invoke": invoke,
          "join": join3,
          "runInContext": runInContext,
          "support": support
        });
        _.each(["each", "forEach", "forOwn", "has", "indexOf", "map", "reduce"], function(methodName) {
          Benchmark3[methodName] = _[methodName];
        });
        _.assign(Benchmark3.prototype, {
          /**
           * The number of times a test was executed.
           *
           * @memberOf Benchmark
           * @type number
           */
          "count": 0,
          /**
           * The number of cycles performed while benchmarking.
           *
           * @memberOf Benchmark
           * @type number
           */
          "cycles": 0,
          /**
           * The number of executions per second.
           *
           * @memberOf Benchmark
           * @type number
           */
          "hz": 0,
          /**
           * The compiled test function.
           *
           * @memberOf Benchmark
           * @type {Function|string}
           */
          "compiled": undefined2,
          /**
           * The error object if the test failed.
           *
           * @memberOf Benchmark
           * @type Object
           */
          "error": undefined2,
          /**
           * The test to benchmark.
           *
           * @memberOf Benchmark
           * @type {Function|string}
           */
          "fn": undefined2,
          /**
           * A flag to indicate if the benchmark is aborted.
           *
           * @memberOf Benchmark
           * @type boolean
           */
          "aborted": false,
          /**
           * A flag to indicate if the benchmark is running.
           *
           * @memberOf Benchmark
           * @type boolean
           */
          "running": false,
          /**
           * Compiled into the test and executed immediately **before** the test loop.
           *
           * @memberOf Benchmark
           * @type {Function|string}
           * @example
           *
           * // basic usage
           * var bench = Benchmark({
           *   'setup': function() {
           *     var c = this.count,
           *         element = document.getElementById('container');
           *     while (c--) {
           *       element.appendChild(document.createElement('div'));
           *     }
           *   },
           *   'fn': function() {
           *     element.removeChild(element.lastChild);
           *   }
           * });
           *
           * // compiles to something like:
           * var c = this.count,
           *     element = document.getElementById('container');
           * while (c--) {
           *   element.appendChild(document.createElement('div'));
           * }
           * var start = new Date;
           * while (count--) {
           *   element.removeChild(element.lastChild);
           * }
           * var end = new Date - start;
           *
           * // or using strings
           * var bench = Benchmark({
           *   'setup': '\
           *     var a = 0;\n\
           *     (function() {\n\
           *       (function() {\n\
           *         (function() {',
           *   'fn': 'a += 1;',
           *   'teardown': '\
           *          }())\n\
           *        }())\n\
           *      }())'
           * });
           *
           * // compiles to something like:
           * var a = 0;
           * (function() {
           *   (function() {
           *     (function() {
           *       var start = new Date;
           *       while (count--) {
           *         a += 1;
           *       }
           *       var end = new Date - start;
           *     }())
           *   }())
           * }())
           */
          "setup": _.noop,
          /**
           * Compiled into the test and executed immediately **after** the test loop.
           *
           * @memberOf Benchmark
           * @type {Function|string}
           */
          "teardown": _.noop,
          /**
           * An object of stats including mean, margin or error, and standard deviation.
           *
           * @memberOf Benchmark
           * @type Object
           */
          "stats": {
            /**
             * The margin of error.
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "moe": 0,
            /**
             * The relative margin of error (expressed as a percentage of the mean).
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "rme": 0,
            /**
             * The standard error of the mean.
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "sem": 0,
            /**
             * The sample standard deviation.
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "deviation": 0,
            /**
             * The sample arithmetic mean (secs).
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "mean": 0,
            /**
             * The array of sampled periods.
             *
             * @memberOf Benchmark#stats
             * @type Array
             */
            "sample": [],
            /**
             * The sample variance.
             *
             * @memberOf Benchmark#stats
             * @type number
             */
            "variance": 0
          },
          /**
           * An object of timing data including cycle, elapsed, period, start, and stop.
           *
           * @memberOf Benchmark
           * @type Object
           */
          "times": {
            /**
             * The time taken to complete the last cycle (secs).
             *
             * @memberOf Benchmark#times
             * @type number
             */
            "cycle": 0,
            /**
             * The time taken to complete the benchmark (secs).
             *
             * @memberOf Benchmark#times
             * @type number
             */
            "elapsed": 0,
            /**
             * The time taken to execute the test once (secs).
             *
             * @memberOf Benchmark#times
             * @type number
             */
            "period": 0,
            /**
             * A timestamp of when the benchmark started (ms).
             *
             * @memberOf Benchmark#times
             * @type number
             */
            "timeStamp": 0
          }
        });
        _.assign(Benchmark3.prototype, {
          "abort": abort,
          "clone": clone,
          "compare": compare,
          "emit": emit,
          "listeners": listeners,
          "off": off,
          "on": on,
          "reset": reset,
          "run": run2,
          "toString": toStringBench
        });
        _.assign(Deferred.prototype, {
          /**
           * The deferred benchmark instance.
           *
           * @memberOf Benchmark.Deferred
           * @type Object
           */
          "benchmark": null,
          /**
           * The number of deferred cycles performed while benchmarking.
           *
           * @memberOf Benchmark.Deferred
           * @type number
           */
          "cycles": 0,
          /**
           * The time taken to complete the deferred benchmark (secs).
           *
           * @memberOf Benchmark.Deferred
           * @type number
           */
          "elapsed": 0,
          /**
           * A timestamp of when the deferred benchmark started (ms).
           *
           * @memberOf Benchmark.Deferred
           * @type number
           */
          "timeStamp": 0
        });
        _.assign(Deferred.prototype, {
          "resolve": resolve
        });
        _.assign(Event.prototype, {
          /**
           * A flag to indicate if the emitters listener iteration is aborted.
           *
           * @memberOf Benchmark.Event
           * @type boolean
           */
          "aborted": false,
          /**
           * A flag to indicate if the default action is cancelled.
           *
           * @memberOf Benchmark.Event
           * @type boolean
           */
          "cancelled": false,
          /**
           * The object whose listeners are currently being processed.
           *
           * @memberOf Benchmark.Event
           * @type Object
           */
          "currentTarget": undefined2,
          /**
           * The return value of the last executed listener.
           *
           * @memberOf Benchmark.Event
           * @type Mixed
           */
          "result": undefined2,
          /**
           * The object to which the event was originally emitted.
           *
           * @memberOf Benchmark.Event
           * @type Object
           */
          "target": undefined2,
          /**
           * A timestamp of when the event was created (ms).
           *
           * @memberOf Benchmark.Event
           * @type number
           */
          "timeStamp": 0,
          /**
           * The event type.
           *
           * @memberOf Benchmark.Event
           * @type string
           */
          "type": ""
        });
        Suite.options = {
          /**
           * The name of the suite.
           *
           * @memberOf Benchmark.Suite.options
           * @type string
           */
          "name": undefined2
        };
        _.assign(Suite.prototype, {
          /**
           * The number of benchmarks in the suite.
           *
           * @memberOf Benchmark.Suite
           * @type number
           */
          "length": 0,
          /**
           * A flag to indicate if the suite is aborted.
           *
           * @memberOf Benchmark.Suite
           * @type boolean
           */
          "aborted": false,
          /**
           * A flag to indicate if the suite is running.
           *
           * @memberOf Benchmark.Suite
           * @type boolean
           */
          "running": false
        });
        _.assign(Suite.prototype, {
          "abort": abortSuite,
          "add": add,
          "clone": cloneSuite,
          "emit": emit,
          "filter": filterSuite,
          "join": arrayRef.join,
          "listeners": listeners,
          "off": off,
          "on": on,
          "pop": arrayRef.pop,
          "push": push,
          "reset": resetSuite,
          "run": runSuite,
          "reverse": arrayRef.reverse,
          "shift": shift,
          "slice": slice,
          "sort": arrayRef.sort,
          "splice": arrayRef.splice,
          "unshift": unshift
        });
        _.assign(Benchmark3, {
          "Deferred": Deferred,
          "Event": Event,
          "Suite": Suite
        });
        _.each(["each", "forEach", "indexOf", "map", "reduce"], function(methodName) {
          var func = _[methodName];
          Suite.prototype[methodName] = function() {
            var args = [this];
            push.apply(args, arguments);
            return func.apply(_, args);
          };
        });
        _.each(["pop", "shift", "splice"], function(methodName) {
          var func = arrayRef[methodName];
          Suite.prototype[methodName] = function() {
            var value = this, result = func.apply(value, arguments);
            if (value.length === 0) {
              delete value[0];
            }
            return result;
          };
        });
        Suite.prototype.unshift = function() {
          var value = this;
          unshift.apply(value, arguments);
          return value.length;
        };
        return Benchmark3;
      }
      if (typeof define == "function" && typeof define.amd == "object" && define.amd) {
        define(["lodash", "platform"], function(_, platform) {
          return runInContext({
            "_": _,
            "platform": platform
          });
        });
      } else {
        var Benchmark2 = runInContext();
        if (freeExports && freeModule) {
          if (moduleExports) {
            (freeModule.exports = Benchmark2).Benchmark = Benchmark2;
          }
          freeExports.Benchmark = Benchmark2;
        } else {
          root.Benchmark = Benchmark2;
        }
      }
    }).call(exports);
  }
});

// ../conformance/dist/bench.js
init_esm_shims();
var import_benchmark = __toESM(require_benchmark(), 1);
import { registerBackend } from "@qco/core";
var T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
function measuredFromSamples(seconds) {
  const n = seconds.length;
  if (n === 0) throw new Error("measuredFromSamples: no samples");
  const mean = seconds.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? seconds.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const t = T95[n - 2] ?? 1.96;
  return { hz: 1 / mean, rme: mean > 0 ? 100 * t * sem / mean : 0, samples: n };
}

// bench/transfer-util.ts
init_esm_shims();
import { execFile } from "child_process";
import { dirname, join } from "path";
import { fileURLToPath } from "url";
function packageDir() {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}
function transferCases(protocol, copyTool, backends, size, inFlight) {
  const cases = [];
  const common = { opsPerCall: size, unit: "byte", params: { size: `${size / (1024 * 1024)} MiB` } };
  for (const direction of ["read", "write"]) {
    const base = `${protocol}/${direction}/qemu-img-convert`;
    const copy = `${protocol}/${direction}/${copyTool}`;
    cases.push({ name: base, ...common }, { name: copy, ...common });
    if (backends.includes("generator")) {
      cases.push({ name: `${protocol}/${direction}/qco-img-convert`, backend: "generator", baseline: base, compareWith: [copy], ...common });
    }
    cases.push({
      name: `${protocol}/${direction}/qco-blk`,
      ...backends[0] !== void 0 ? { backend: backends[0] } : {},
      baseline: base,
      compareWith: [copy],
      ...common,
      params: { ...common.params, requests: `${inFlight} \xD7 2 MiB in flight`, note: "in-process BlockBackend, no local file" }
    });
  }
  return cases;
}

// ../test-utils/dist/index.js
init_esm_shims();
import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { createServer, connect } from "net";
import { tmpdir, userInfo } from "os";
import { join as join2 } from "path";
import { spawn as spawn2 } from "child_process";
import { existsSync as existsSync2, mkdirSync as mkdirSync2, mkdtempSync as mkdtempSync2, readFileSync as readFileSync2, rmSync as rmSync2, writeFileSync as writeFileSync2 } from "fs";
import { connect as connect2 } from "net";
import { tmpdir as tmpdir2 } from "os";
import { join as join22 } from "path";
var SSHD_BIN = "/usr/sbin/sshd";
var SSH_KEYGEN_BIN = "/usr/bin/ssh-keygen";
var SSH_AGENT_BIN = "/usr/bin/ssh-agent";
var SSH_ADD_BIN = "/usr/bin/ssh-add";
var SSHD_FIRST_PORT = 2222;
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}
function sshAnswers(port) {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.once("data", (d) => done(d.toString("latin1").startsWith("SSH-")));
    s.once("error", () => done(false));
    s.setTimeout(2e3, () => done(false));
  });
}
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
function descendants(root) {
  const parentOf = /* @__PURE__ */ new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(name), Number(rest[1]));
    } catch {
    }
  }
  const out = [];
  const walk = (pid) => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
function keygen(path, type) {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync(SSH_KEYGEN_BIN, ["-q", "-t", type, "-N", "", "-C", "qco-test", "-f", path], { stdio: "ignore" });
}
async function startSshd(options = {}) {
  for (const bin of [SSHD_BIN, SSH_KEYGEN_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian packages of packages/drivers-block/setup/apt-peers.txt (openssh-server, openssh-client)`);
  }
  mkdirSync("/run/sshd", { recursive: true });
  const dir = mkdtempSync(join2(tmpdir(), "qco-sshd-"));
  const dataDir = join2(dir, "data");
  mkdirSync(dataDir);
  const hostKey = join2(dir, "host_key");
  const clientKey = join2(dir, "client_key");
  const confPath = join2(dir, "sshd_config");
  const logPath = join2(dir, "sshd.log");
  keygen(hostKey, options.hostKeyType ?? "ed25519");
  keygen(clientKey, "ed25519");
  let port = options.firstPort ?? SSHD_FIRST_PORT;
  while (!await portFree(port)) {
    port++;
    if (port > (options.firstPort ?? SSHD_FIRST_PORT) + 200) throw new Error("no free port for sshd near 2222 on 127.0.0.1");
  }
  writeFileSync(
    confPath,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join2(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${clientKey}.pub`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      // Room for the pipelined tests' parallel opens.
      "MaxStartups 100",
      "MaxSessions 100",
      "Subsystem sftp internal-sftp",
      ""
    ].join("\n")
  );
  let sshd = null;
  const agents = [];
  const logTail = (lines = 20) => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const start = async () => {
    if (sshd !== null) return;
    const child = spawn(SSHD_BIN, ["-D", "-f", confPath, "-E", logPath], { stdio: "ignore" });
    sshd = child;
    const end = Date.now() + 15e3;
    for (; ; ) {
      if (child.exitCode !== null) {
        sshd = null;
        throw new Error(`sshd exited with code ${child.exitCode}
${logTail()}`);
      }
      if (await sshAnswers(port)) return;
      if (Date.now() > end) {
        child.kill("SIGKILL");
        await exited(child);
        sshd = null;
        throw new Error(`sshd did not answer on 127.0.0.1:${port}
${logTail()}`);
      }
      await sleep(30);
    }
  };
  const kill = async (signal = "SIGKILL") => {
    const child = sshd;
    if (child === null || child.pid === void 0) return;
    sshd = null;
    const pids = [child.pid, ...descendants(child.pid)];
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
      }
    }
    await exited(child);
    const end = Date.now() + 1e4;
    while (pids.some(pidAlive) && Date.now() < end) await sleep(20);
  };
  const hostKeyPub = () => readFileSync(`${hostKey}.pub`, "utf8").trim();
  const blob = () => Buffer.from(hostKeyPub().split(" ")[1], "base64");
  const peer = {
    host: "127.0.0.1",
    port,
    user: userInfo().username,
    dir,
    dataDir,
    clientKeyPath: clientKey,
    hostKeyPub,
    hostKeyHash: (type = "sha256") => createHash(type).update(blob()).digest("hex"),
    knownHostsLine: () => {
      const [type, b64] = hostKeyPub().split(" ");
      return port === 22 ? `127.0.0.1 ${type} ${b64}` : `[127.0.0.1]:${port} ${type} ${b64}`;
    },
    url: (path, query = "") => `ssh://${userInfo().username}@127.0.0.1:${port}${path}${query}`,
    start,
    kill,
    freeze: () => {
      const child = sshd;
      if (child === null || child.pid === void 0) return () => {
      };
      const pids = [child.pid, ...descendants(child.pid)];
      const signal = (sig) => {
        for (const pid of pids) {
          try {
            process.kill(pid, sig);
          } catch {
          }
        }
      };
      signal("SIGSTOP");
      return () => signal("SIGCONT");
    },
    rotateHostKey: async (type = "ed25519") => {
      await kill("SIGTERM");
      keygen(hostKey, type);
      await start();
    },
    startAgent: () => {
      const sock = join2(dir, `agent-${agents.length}.sock`);
      const out = execFileSync(SSH_AGENT_BIN, ["-s", "-a", sock], { encoding: "utf8" });
      const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
      const env = { ...process.env, SSH_AUTH_SOCK: sock, SSH_AGENT_PID: String(pid) };
      execFileSync(SSH_ADD_BIN, ["-q", clientKey], { env, stdio: "ignore" });
      const agent = {
        socket: sock,
        env,
        stop: () => {
          if (pidAlive(pid)) process.kill(pid, "SIGTERM");
        }
      };
      agents.push(agent);
      return agent;
    },
    stop: async () => {
      await kill("SIGTERM");
      for (const a of agents) a.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    logTail
  };
  const onExit = () => {
    const child = sshd;
    if (child?.pid !== void 0) {
      for (const pid of [child.pid, ...descendants(child.pid)]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
        }
      }
    }
    for (const a of agents) a.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  const stopPeer = peer.stop;
  peer.stop = async () => {
    process.off("exit", onExit);
    await stopPeer();
  };
  try {
    await start();
  } catch (err) {
    process.off("exit", onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return peer;
}
var GANESHA_NFS_PORT = 2049;
var GANESHA_MNT_PORT = 20048;
var RPCBIND_PORT = 111;
var GANESHA_BIN = "/usr/bin/ganesha.nfsd";
var RPCBIND_BIN = "/usr/sbin/rpcbind";
var PLUGINS_DIR = "/usr/lib/x86_64-linux-gnu/ganesha";
function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect2({ host: "127.0.0.1", port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1e3, () => done(false));
  });
}
var sleep2 = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, cond, timeoutMs, child) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with code ${child.exitCode}`);
    if (await cond()) return;
    await sleep2(50);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}
function exited2(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
function config(exportDir) {
  return `NFS_CORE_PARAM {
  Bind_Addr = 127.0.0.1;
  NFS_Port = ${GANESHA_NFS_PORT};
  MNT_Port = ${GANESHA_MNT_PORT};
  Protocols = 3, 4;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
  mount_path_pseudo = true;
  Plugins_Dir = ${PLUGINS_DIR};
}
NFSV4 { Graceless = true; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
  Export_Id = 1;
  Path = ${exportDir};
  Pseudo = ${exportDir};
  Access_Type = RW;
  Squash = No_Root_Squash;
  Sectype = sys;
  Transports = TCP;
  Protocols = 3, 4;
  FSAL { Name = VFS; }
}
`;
}
async function startGanesha() {
  for (const bin of [GANESHA_BIN, RPCBIND_BIN]) {
    if (!existsSync2(bin)) throw new Error(`${bin} is missing: install the Debian packages of packages/drivers-block/setup/apt-peers.txt`);
  }
  if (await portOpen(GANESHA_NFS_PORT)) {
    throw new Error(`127.0.0.1:${GANESHA_NFS_PORT} is already taken: another NFS server runs here; the nfs tests need that port`);
  }
  const dir = mkdtempSync2(join22(tmpdir2(), "qco-ganesha-"));
  const exportDir = join22(dir, "export");
  mkdirSync2(exportDir);
  mkdirSync2("/var/run/ganesha", { recursive: true });
  mkdirSync2("/var/lib/nfs/ganesha", { recursive: true });
  const confPath = join22(dir, "ganesha.conf");
  const logPath = join22(dir, "ganesha.log");
  writeFileSync2(confPath, config(exportDir));
  let rpcbind = null;
  if (!await portOpen(RPCBIND_PORT)) {
    rpcbind = spawn2(RPCBIND_BIN, ["-f", "-w"], { stdio: "ignore" });
    await waitFor("rpcbind", () => portOpen(RPCBIND_PORT), 1e4, rpcbind);
  }
  let ganesha = null;
  const onExit = () => {
    ganesha?.kill("SIGKILL");
    rpcbind?.kill("SIGKILL");
  };
  process.once("exit", onExit);
  const logTail = (lines = 20) => {
    try {
      return readFileSync2(logPath, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const start = async () => {
    if (ganesha !== null) return;
    const child = spawn2(GANESHA_BIN, ["-F", "-f", confPath, "-L", logPath, "-p", join22(dir, "ganesha.pid")], { stdio: "ignore" });
    ganesha = child;
    try {
      await waitFor("ganesha", async () => await portOpen(GANESHA_NFS_PORT) && await portOpen(GANESHA_MNT_PORT), 2e4, child);
    } catch (err) {
      child.kill("SIGKILL");
      await exited2(child);
      ganesha = null;
      throw new Error(`${err.message}
${logTail()}`);
    }
  };
  const kill = async (signal = "SIGKILL") => {
    const child = ganesha;
    if (child === null) return;
    ganesha = null;
    child.kill(signal);
    const t = setTimeout(() => child.kill("SIGKILL"), 1e4);
    await exited2(child);
    clearTimeout(t);
  };
  const stop = async () => {
    process.off("exit", onExit);
    await kill("SIGTERM");
    if (rpcbind !== null) {
      const r = rpcbind;
      rpcbind = null;
      r.kill("SIGTERM");
      await exited2(r);
    }
    rmSync2(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    exportDir,
    url: (name, query = "") => `nfs://127.0.0.1${exportDir}/${name}${query}`,
    start,
    kill,
    stop,
    logTail
  };
}

export {
  measuredFromSamples,
  packageDir,
  run,
  transferCases,
  startSshd,
  startGanesha
};
/*! Bundled license information:

benchmark/benchmark.js:
  (*!
   * Benchmark.js <https://benchmarkjs.com/>
   * Copyright 2010-2016 Mathias Bynens <https://mths.be/>
   * Based on JSLitmus.js, copyright Robert Kieffer <http://broofa.com/>
   * Modified by John-David Dalton <http://allyoucanleet.com/>
   * Available under MIT license <https://mths.be/mit>
   *)
*/
//# sourceMappingURL=chunk-LF27B2T6.js.map