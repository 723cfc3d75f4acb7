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

function unsubscribe() {
  if (!self.registration.pushManager) return Promise.resolve();
  return self.registration.pushManager.getSubscription().then(function (subscription) {
    if (subscription) return subscription.unsubscribe();
  }).catch(function () { /* nothing to end */ });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT_PATH) {
    // Logging out on purpose also ends this device's notifications (a shared phone rings for
    // nobody until the next person turns them on); a session that merely expires keeps them.
    event.waitUntil(Promise.all([forget(), unsubscribe()]));
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

// --- notifications (apps.notifications) ------------------------------------------------------
// The payload is made by the portal in the recipient's language and holds only what they may
// see: title, body, tag (one notification per alert), the alert's URL, and for those who may
// act on it an "Acknowledge" action with a one-use token (the worker has no CSRF token).

self.addEventListener("push", function (event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  const options = {
    body: data.body || "", tag: data.tag || "posko", renotify: true, requireInteraction: true,
    data: { url: data.url || "/", ack: data.ack || null },
  };
  if (data.ack) options.actions = [{ action: "ack", title: data.ack.label }];
  event.waitUntil(self.registration.showNotification(data.title || "Posko", options));
});

function openUrl(url) {
  const target = new URL(url, self.location.origin).href;
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (const client of windows) {
      if (client.url === target && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(target);
  });
}

self.addEventListener("notificationclick", function (event) {
  const data = event.notification.data || {};
  event.notification.close();
  if (event.action === "ack" && data.ack) {
    const body = new URLSearchParams({ token: data.ack.token });
    event.waitUntil(fetch(data.ack.url, { method: "POST", body: body, credentials: "omit" })
      .then(function (response) { if (!response.ok) return openUrl(data.url); })
      .catch(function () { return openUrl(data.url); }));
    return;
  }
  event.waitUntil(openUrl(data.url || "/"));
});
