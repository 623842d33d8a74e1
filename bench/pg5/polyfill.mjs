// PostGraphile 5 declares Node >= 22; on Node 20 the one thing it misses is
// Promise.withResolvers (ES2024), added here before it loads.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
