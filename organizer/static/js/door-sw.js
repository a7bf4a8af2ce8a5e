/* The door's service worker: reopens a door list without signal, and nothing else.
 *
 * Registered by door.js with the scope /door/e/, so it only ever sees the door lists' own requests.
 * Of those it keeps two kinds, network first, falling back to what it kept when the network fails:
 * the door list page itself (/door/e/<id>, without the search) and the static files it loads.
 * Searches, counts, names and taps always go to the network (door.js keeps the names and queues the
 * taps itself). What it kept is thrown away when the volunteer leaves the door (door.js posts
 * {forget: true}), when the server says the door is closed to this phone (a 403 or 404 for the page
 * or a sign-in redirect), and after a day. */
"use strict";

var CACHE = "organizer-door";
var KEEP_MS = 24 * 3600 * 1000;
var LIST = /^\/door\/e\/\d+$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// door.js posts {keep: [urls]} when the page was loaded before this worker controlled it (the first
// visit): the page and its files are fetched again and kept, so that it reopens without signal.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.forget) {
    event.waitUntil(caches.delete(CACHE));
  } else if (Array.isArray(data.keep)) {
    event.waitUntil(Promise.all(data.keep.map(function (href) {
      var url = new URL(href, self.location.origin);
      if (url.origin !== self.location.origin) { return null; }
      var isPage = LIST.test(url.pathname);
      if (!isPage && url.pathname.indexOf("/static/") !== 0) { return null; }
      var key = isPage ? url.origin + url.pathname : url.href;
      return fetch(key, { credentials: "same-origin", redirect: "error" }).then(function (response) {
        return response.ok ? keep(key, response) : null;
      }).catch(function () { return null; });
    })));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && LIST.test(url.pathname)) {
    event.respondWith(networkFirst(request, url.origin + url.pathname, true));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, request.url, false));
  }
});

function networkFirst(request, key, isPage) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      keep(key, response.clone());
    } else if (isPage && (response.type === "opaqueredirect" || response.redirected || response.status === 403 ||
                          response.status === 404 || response.status === 410)) {
      caches.open(CACHE).then(function (cache) { cache.delete(key); });
    }
    return response;
  }).catch(function (error) {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (kept) {
      if (!kept) { throw error; }
      var at = Number(kept.headers.get("X-Door-Kept-At"));
      if (!(Date.now() - at < KEEP_MS)) {
        return caches.open(CACHE).then(function (cache) { cache.delete(key); throw error; });
      }
      return kept;
    });
  });
}

function keep(key, response) {
  return response.blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set("X-Door-Kept-At", String(Date.now()));
    return caches.open(CACHE).then(function (cache) {
      return cache.put(key, new Response(body, { status: response.status, statusText: response.statusText, headers: headers }));
    });
  });
}
