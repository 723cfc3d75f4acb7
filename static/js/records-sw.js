// The field pages' service worker, served at /sw.js so its scope is the whole site.
//
// It caches only what a field page asks it to (the page itself and its CSS/JS), answers
// those from the cache when the network is gone, and otherwise stays out of the way: every
// other request goes to the network untouched. Entries are never stored here: the page's
// outbox (IndexedDB) does that. Logging out, or being sent to the login page, empties the
// cache, so a shared phone does not keep someone's pages.
"use strict";

const CACHE = "posko-field-v1";
const LOGIN_PATH = "/akun/masuk/";
const LOGOUT_PATH = "/akun/keluar/";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  const data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) return;
  const sameOrigin = data.urls.filter(function (url) {
    try { return new URL(url, self.location.origin).origin === self.location.origin; }
    catch (error) { return false; }
  });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(sameOrigin.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) return cache.put(url, response);
      }).catch(function () { /* offline now; cached next time */ });
    }));
  }));
});

function forget() { return caches.delete(CACHE); }

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT_PATH) {
    event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") return;

  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.redirected && new URL(response.url).pathname === LOGIN_PATH) {
        event.waitUntil(forget());
      } else if (response.ok) {
        // Refresh a page that is already kept for offline use.
        const copy = response.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) {
          return cache.match(url.pathname).then(function (kept) {
            if (kept) return cache.put(url.pathname, copy);
          });
        }));
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (kept) {
        return kept || new Response("Offline", {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
        });
      });
    }));
    return;
  }

  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request);
    }));
  }
});
