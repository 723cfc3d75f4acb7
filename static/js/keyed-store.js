// One IndexedDB object store keyed by "key", for what a field phone keeps until it is sent
// (the offline records outbox, unsent panic presses): the smallest wrapper that works.
// keyedStore(dbName, storeName).withStore(mode, action) runs `action(store)` in one
// transaction and resolves with its request's result once the transaction completes;
// keyedStore.uuid() makes the client key a kept record is sent with (a resend finds it).
(function () {
  "use strict";
  window.keyedStore = function (dbName, storeName) {
    let dbPromise = null;
    function db() {
      if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
      if (!dbPromise) {
        dbPromise = new Promise(function (resolve, reject) {
          const request = indexedDB.open(dbName, 1);
          request.onupgradeneeded = function () {
            request.result.createObjectStore(storeName, { keyPath: "key" });
          };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
      }
      return dbPromise;
    }
    function withStore(mode, action) {
      return db().then(function (database) {
        return new Promise(function (resolve, reject) {
          const tx = database.transaction(storeName, mode);
          const request = action(tx.objectStore(storeName));
          tx.oncomplete = function () { resolve(request ? request.result : undefined); };
          tx.onerror = function () { reject(tx.error); };
          tx.onabort = function () { reject(tx.error); };
        });
      });
    }
    return { withStore: withStore };
  };
  // A version 4 UUID, also where crypto.randomUUID is missing (it needs a secure context).
  window.keyedStore.uuid = function () {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  };
})();
