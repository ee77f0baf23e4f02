/* The sampler app's local store and its sync, shared by the page and the service worker.
 *
 * Every scan is written to IndexedDB (with the next per-device sequence number, in one transaction) before
 * the screen confirms it; sync sends what is pending to POST /api/scans in batches and marks each scan with
 * the server's outcome. A scan sent twice is stored once by the server, so a retry after a lost answer is safe.
 */
/* eslint-env browser, serviceworker */
const GS = (() => {
  const DB_NAME = "gridscreen-sampler";
  const BATCH = 200;
  // The last scan of an open tube waits this long, so the sampler can still undo it.
  const UNDO_GRACE_MS = 8000;
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("meta");
          const scans = db.createObjectStore("scans", { keyPath: "seq" });
          scans.createIndex("state", "state");
          db.createObjectStore("roster", { keyPath: "person_id" });
          db.createObjectStore("ops", { keyPath: "id", autoIncrement: true });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("aborted"));
    });
  }

  function req(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function getMeta(key) {
    const db = await open();
    return req(db.transaction("meta").objectStore("meta").get(key));
  }

  async function setMeta(key, value) {
    const db = await open();
    const tx = db.transaction("meta", "readwrite");
    tx.objectStore("meta").put(value, key);
    return done(tx);
  }

  async function deviceId() {
    let id = await getMeta("device_id");
    if (!id) {
      const random = crypto.getRandomValues(new Uint32Array(2));
      id = `web-${random[0].toString(36)}${random[1].toString(36)}`;
      await setMeta("device_id", id);
    }
    return id;
  }

  /* Store one scan under the next sequence number; resolves once it is on disk. */
  async function addScan(scan) {
    const db = await open();
    const tx = db.transaction(["meta", "scans"], "readwrite");
    const meta = tx.objectStore("meta");
    const seq = ((await req(meta.get("next_seq"))) || 1);
    meta.put(seq + 1, "next_seq");
    const row = { ...scan, seq, state: "pending", created: Date.now() };
    tx.objectStore("scans").put(row);
    await done(tx);
    return row;
  }

  async function updateScan(seq, changes) {
    const db = await open();
    const tx = db.transaction("scans", "readwrite");
    const store = tx.objectStore("scans");
    const row = await req(store.get(seq));
    if (row) store.put({ ...row, ...changes });
    await done(tx);
    return row ? { ...row, ...changes } : null;
  }

  async function deleteScan(seq) {
    const db = await open();
    const tx = db.transaction("scans", "readwrite");
    tx.objectStore("scans").delete(seq);
    return done(tx);
  }

  async function scans(state) {
    const db = await open();
    const store = db.transaction("scans").objectStore("scans");
    return req(state ? store.index("state").getAll(state) : store.getAll());
  }

  async function addOp(op) {
    const db = await open();
    const tx = db.transaction("ops", "readwrite");
    tx.objectStore("ops").add(op);
    return done(tx);
  }

  async function ops() {
    const db = await open();
    return req(db.transaction("ops").objectStore("ops").getAll());
  }

  async function deleteOp(id) {
    const db = await open();
    const tx = db.transaction("ops", "readwrite");
    tx.objectStore("ops").delete(id);
    return done(tx);
  }

  async function putRoster(entries) {
    const db = await open();
    const tx = db.transaction("roster", "readwrite");
    const store = tx.objectStore("roster");
    store.clear();
    for (const entry of entries) store.put(entry);
    return done(tx);
  }

  async function rosterAll() {
    const db = await open();
    return req(db.transaction("roster").objectStore("roster").getAll());
  }

  async function person(personId) {
    const db = await open();
    return req(db.transaction("roster").objectStore("roster").get(personId));
  }

  function toServer(row) {
    const scan = { device_seq: row.seq, tube: row.tube, scanned_at: row.scanned_at, close_tube: !!row.close_tube };
    for (const key of ["resident_code", "document_type", "document_number", "name", "site_id", "route_id"]) {
      if (row[key] !== undefined && row[key] !== null) scan[key] = row[key];
    }
    return scan;
  }

  /* Send what is pending (oldest first). Resolves to {sent, rejected, status}; status is "ok", "offline",
   * "login" (the session ended: log in again, nothing is lost) or "error". */
  async function syncOnce() {
    const now = Date.now();
    const pending = (await scans("pending")).sort((a, b) => a.seq - b.seq);
    const openTube = await getMeta("open_tube");
    const ready = pending.filter(
      (row) => !(openTube && row.tube === openTube && !row.close_tube && now - row.created < UNDO_GRACE_MS
        && row.seq === Math.max(...pending.filter((r) => r.tube === openTube).map((r) => r.seq))),
    );
    let sent = 0;
    let rejected = 0;
    const device = await deviceId();
    // Reasons come back in the language the app is shown in.
    const headers = { "Content-Type": "application/json", "Accept-Language": (await getMeta("lang")) || "zh-CN" };
    const byRound = new Map();
    for (const row of ready) {
      if (!byRound.has(row.round_id)) byRound.set(row.round_id, []);
      byRound.get(row.round_id).push(row);
    }
    try {
      for (const [roundId, rows] of byRound) {
        for (let start = 0; start < rows.length; start += BATCH) {
          const batch = rows.slice(start, start + BATCH);
          const response = await fetch("/api/scans", {
            method: "POST",
            credentials: "same-origin",
            headers,
            body: JSON.stringify({
              device_id: device,
              round_id: roundId,
              scans: batch.map(toServer),
              pending: Math.max(0, pending.length - sent - rejected - batch.length),
            }),
          });
          if (response.status === 401) return { sent, rejected, status: "login" };
          if (!response.ok) return { sent, rejected, status: "error", detail: response.status };
          const answer = await response.json();
          for (const outcome of answer.outcomes) {
            const state = outcome.status === "rejected" ? "rejected" : "sent";
            await updateScan(outcome.device_seq, { state, reason: outcome.reason || null, flags: outcome.flags });
            if (state === "rejected") rejected += 1;
            else sent += 1;
          }
        }
      }
      for (const op of await ops()) {
        const response = op.kind === "close"
          ? await fetch(`/api/tubes/${encodeURIComponent(op.tube)}/close`, { method: "POST", credentials: "same-origin" })
          : await fetch(`/api/rounds/${op.round_id}/missing/${op.person_id}`, {
            method: "PUT",
            credentials: "same-origin",
            headers,
            body: JSON.stringify({ reason: op.reason }),
          });
        if (response.status === 401) return { sent, rejected, status: "login" };
        // 409: the tube is sealed already, or the person was sampled meanwhile: nothing left to do.
        if (response.ok || response.status === 409) await deleteOp(op.id);
        else if (response.status >= 500) return { sent, rejected, status: "error", detail: response.status };
        else await deleteOp(op.id);
      }
    } catch (error) {
      return { sent, rejected, status: "offline" };
    }
    return { sent, rejected, status: "ok" };
  }

  return {
    open, getMeta, setMeta, deviceId, addScan, updateScan, deleteScan, scans, addOp, ops, putRoster, rosterAll, person,
    syncOnce, UNDO_GRACE_MS,
  };
})();
if (typeof self !== "undefined") self.GS = GS;
