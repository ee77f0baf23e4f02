/* The sampler app's service worker: keeps the app shell so it opens with no network, and sends waiting
 * scans when the browser regains the network (Background Sync), even with the tab closed. */
/* eslint-env serviceworker */
importScripts("/static/sampler/store.js");

const SHELL = "gridscreen-sampler-v2";
const ASSETS = ["/sampler/", "/static/sampler/app.js", "/static/sampler/store.js", "/static/sampler/sampler.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/sampler/" || url.pathname.startsWith("/static/sampler/")) {
    // Network first, so a new version arrives when online; the cached shell when not.
    event.respondWith(
      fetch(event.request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(SHELL).then((cache) => cache.put(event.request, copy));
          }
          return response;
        })
        .catch(() => caches.match(event.request, { ignoreSearch: true })),
    );
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "scans") event.waitUntil(GS.syncOnce());
});
