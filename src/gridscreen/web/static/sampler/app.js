/* The sampler app: scan a tube, then the residents swabbed into it; every scan is on disk before the
 * screen confirms it, and reaches the server when the network allows. Works with a hardware scanner (it
 * types and presses Enter), the phone camera where the browser can read barcodes, or typing. */
/* global GS, T, GRIDS */
(() => {
  const $ = (selector) => document.querySelector(selector);
  const BARCODE = /^([A-Z]{1,4})([0-9]{11})$/;
  const RESIDENT_CODE = /^GS1\.([1-9][0-9]{0,18})\.[A-Za-z0-9_-]{16}$/;
  const RESIDENT_ID = /^[0-9]{17}[0-9X]$/;
  const HOUSEHOLD_TUBE = 20;
  const DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
  ];
  const state = {
    context: null, tube: null, members: [], syncing: false, backoff: 0, nextSync: 0,
    persons: new Set(), tubes: new Set(), // what this device has scanned, kept in memory for instant checks
  };
  window.confirmTimes = [];

  function damm(digits) {
    let interim = 0;
    for (const digit of digits) interim = DAMM[interim][digit.charCodeAt(0) - 48];
    return interim;
  }

  function normalise(text) {
    return text.normalize("NFKC").replace(/\s+/g, "");
  }

  /* ---- feedback: a tone and a flash for every scan, so gloved hands need not look twice ---- */
  let audio = null;
  function tone(ok) {
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.08 : 0.3));
    } catch (error) { /* no sound on this device: the flash still shows */ }
  }

  function say(text, kind) {
    const box = $("#message");
    box.textContent = text;
    box.className = `message ${kind}`;
    document.body.classList.remove("flash-ok", "flash-error");
    void document.body.offsetWidth; // restart the animation
    document.body.classList.add(kind === "error" ? "flash-error" : "flash-ok");
    tone(kind !== "error");
  }

  /* ---- setup: which round, grid and site or route this device works for today ---- */
  async function api(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  async function loadChoices() {
    delete $("#setup-form").dataset.ready;
    const rounds = await api("/api/rounds");
    const running = rounds.filter((r) => r.status === "running");
    $("#round").replaceChildren(...running.map((r) => new Option(`${r.name} · ${r.code}`, r.id)));
    $("#grid").replaceChildren(...window.GRIDS.map((g) => new Option(g.name, g.id)));
    await loadPlaces();
  }

  async function loadPlaces() {
    const roundId = $("#round").value;
    const gridId = $("#grid").value;
    if (!roundId || !gridId) return;
    const query = `area_id=${gridId}`;
    const [sites, routes] = await Promise.all([
      api(`/api/rounds/${roundId}/sites?${query}`),
      api(`/api/rounds/${roundId}/routes?${query}`),
    ]);
    const options = [
      ...sites.map((s) => new Option(`${T.site}: ${s.name} (${s.code})`, `site:${s.id}`)),
      ...routes.map((r) => new Option(`${T.route}: ${r.code}`, `route:${r.id}`)),
    ];
    $("#place").replaceChildren(...options);
    state.routeStops = Object.fromEntries(routes.map((r) => [r.id, r.stops || []]));
    $("#setup-form").dataset.ready = "1"; // the choices are in: tests and people may pick now
  }

  async function start(event) {
    event.preventDefault();
    const roundId = Number($("#round").value);
    const gridId = Number($("#grid").value);
    const [kind, id] = $("#place").value.split(":");
    say(T.downloading, "info");
    const [roster, advice] = await Promise.all([
      api(`/api/rounds/${roundId}/roster?area_id=${gridId}`),
      api(`/api/rounds/${roundId}/pool-advice?area_id=${gridId}`),
    ]);
    const policy = advice.current || { pooling: "pooled", pool_size: 10 };
    const poolSize = policy.pooling === "single" ? 1 : policy.pooling === "household" ? HOUSEHOLD_TUBE : policy.pool_size;
    await GS.putRoster(roster);
    const context = {
      round_id: roundId,
      grid_id: gridId,
      place: kind,
      place_id: Number(id),
      place_name: $("#place").selectedOptions[0].textContent,
      pool_size: poolSize,
      household_tubes: policy.pooling === "household",
      // The planned visiting order (household -> [position, planned time]), kept for working offline.
      route_order: kind === "route"
        ? Object.fromEntries((state.routeStops?.[Number(id)] || []).map((s, i) => [s.household_id, [i, s.arrive]]))
        : {},
    };
    await GS.setMeta("context", context);
    state.context = context;
    showScanning();
    say(`${T.ready} ${roster.length} ${T.residents}`, "info");
  }

  /* ---- scanning ---- */
  function showScanning() {
    $("#setup").hidden = true;
    $("#scanning").hidden = false;
    $("#place-name").textContent = state.context.place_name;
    const lead = $("#site-lead");
    lead.hidden = state.context.place !== "site";
    lead.href = `/sites/${state.context.place_id}?round=${state.context.round_id}`;
    $("#scan-input").focus();
    render();
  }

  async function handle(raw) {
    const started = performance.now();
    const text = normalise(raw).toUpperCase();
    if (!text) return;
    const tubeMatch = BARCODE.exec(text);
    if (tubeMatch) {
      if (damm(tubeMatch[2]) !== 0) return say(`${T.bad_check_digit} ${text}`, "error");
      await openTube(text);
    } else if (RESIDENT_CODE.test(normalise(raw)) || RESIDENT_ID.test(text)) {
      await swab(normalise(raw), text);
    } else {
      return say(T.not_a_code, "error");
    }
    renderTube();
    const elapsed = performance.now() - started;
    window.confirmTimes.push(elapsed);
    $("#scan-input").dataset.lastConfirmMs = elapsed.toFixed(1);
    render();
  }

  async function openTube(barcode) {
    if (state.tube === barcode) return say(T.tube_already_open, "info");
    if (state.tube && state.members.length) await seal();
    if (state.tubes.has(barcode)) return say(`${T.tube_used} ${barcode}`, "error");
    state.tube = barcode;
    state.members = [];
    await GS.setMeta("open_tube", barcode);
    say(`${T.tube_opened} ${barcode} 0/${state.context.pool_size}`, "ok");
  }

  async function swab(original, upper) {
    if (!state.tube) return say(T.scan_tube_first, "error");
    const ctx = state.context;
    const scan = {
      round_id: ctx.round_id,
      tube: state.tube,
      scanned_at: new Date().toISOString(),
      [ctx.place === "site" ? "site_id" : "route_id"]: ctx.place_id,
    };
    let entry = null;
    const codeMatch = RESIDENT_CODE.exec(original);
    if (codeMatch) {
      scan.resident_code = original;
      entry = await GS.person(Number(codeMatch[1]));
    } else {
      scan.document_type = "resident_id";
      scan.document_number = upper;
    }
    const warnings = [];
    const personId = entry ? entry.person_id : null;
    if (codeMatch && !entry) warnings.push(T.not_on_roster);
    if (!codeMatch) warnings.push(T.typed_document);
    if (entry && entry.status === "hold") warnings.push(T.on_hold);
    if (entry && ["sampled", "negative", "positive"].includes(entry.status)) warnings.push(T.already_sampled);
    if (personId && state.persons.has(personId)) warnings.push(T.already_sampled_here);
    const full = state.members.length + 1 >= ctx.pool_size;
    if (full) scan.close_tube = true;
    const row = await GS.addScan({
      ...scan,
      person_id: personId,
      label: entry ? entry.name : upper.slice(0, 3) + "*".repeat(Math.max(0, upper.length - 7)) + upper.slice(-4),
      address: entry ? entry.address : "",
      warnings,
    });
    state.members.push(row);
    state.tubes.add(row.tube);
    if (personId) state.persons.add(personId);
    if (full) {
      state.tube = null;
      state.members = [];
      await GS.setMeta("open_tube", null);
      say(`${T.tube_full} ${scan.tube}`, "ok");
    } else {
      say(`${row.label} ${state.members.length}/${ctx.pool_size}${warnings.length ? " · " + warnings.join(" · ") : ""}`,
        warnings.length ? "warn" : "ok");
    }
    kick();
  }

  async function seal() {
    if (!state.tube) return;
    const last = state.members[state.members.length - 1];
    const stored = last ? (await GS.scans()).find((s) => s.seq === last.seq) : null;
    if (stored && stored.state === "pending") await GS.updateScan(last.seq, { close_tube: true });
    else if (last) await GS.addOp({ kind: "close", tube: state.tube });
    say(`${T.tube_sealed} ${state.tube} ${state.members.length}/${state.context.pool_size}`, "ok");
    state.tube = null;
    state.members = [];
    await GS.setMeta("open_tube", null);
    render();
    kick();
  }

  async function undo() {
    const last = state.members[state.members.length - 1];
    if (!last) return say(T.nothing_to_undo, "error");
    const stored = (await GS.scans()).find((s) => s.seq === last.seq);
    if (!stored || stored.state !== "pending") return say(T.too_late_to_undo, "error");
    await GS.deleteScan(last.seq);
    state.members.pop();
    if (last.person_id) state.persons.delete(last.person_id);
    say(`${T.undone} ${last.label}`, "ok");
    render();
  }

  function renderTube() {
    $("#tube").textContent = state.tube || T.no_tube;
    $("#count").textContent = state.tube ? `${state.members.length}/${state.context.pool_size}` : "";
    $("#members").replaceChildren(
      ...state.members.map((m) => {
        const li = document.createElement("li");
        li.textContent = `${m.label} ${m.address || ""}`;
        if (m.warnings && m.warnings.length) {
          const warn = document.createElement("span");
          warn.className = "warn";
          warn.textContent = m.warnings.join(" · ");
          li.append(" ", warn);
        }
        return li;
      }),
    );
  }

  async function render() {
    renderTube();
    if (state.context) renderRoute();
    const all = await GS.scans();
    // Waiting to send: scans, and the tube closings and door-knock notes queued beside them.
    const pending = all.filter((s) => s.state === "pending").length + (await GS.ops()).length;
    const rejected = all.filter((s) => s.state === "rejected");
    $("#pending").textContent = pending;
    $("#pending-box").classList.toggle("waiting", pending > 0);
    $("#online").textContent = navigator.onLine ? T.online : T.offline;
    $("#rejected").replaceChildren(
      ...rejected.map((r) => {
        const li = document.createElement("li");
        li.dataset.seq = r.seq;
        li.textContent = `${r.label} · ${r.tube}: ${r.reason}`;
        return li;
      }),
    );
    $("#rejected-box").hidden = rejected.length === 0;
    const today = new Date().toDateString();
    const mine = all.filter((s) => new Date(s.scanned_at).toDateString() === today && s.state !== "rejected");
    $("#today-persons").textContent = mine.length;
    $("#today-tubes").textContent = new Set(mine.map((s) => s.tube)).size;
  }

  /* ---- door to door: the route's households in address order, with who is expected at each door ---- */
  const VISIT_REASONS = { nobody_home: "nobody_home", refused: "refused" };

  async function routeHouseholds() {
    const roster = await GS.rosterAll();
    const everyone = $("#route-everyone").checked;
    const byHousehold = new Map();
    for (const entry of roster) {
      if (!byHousehold.has(entry.household_id)) {
        byHousehold.set(entry.household_id, { address: entry.address, members: [], missing: [] });
      }
      const household = byHousehold.get(entry.household_id);
      const missing = ["expected", "to_resample"].includes(entry.status) && !state.persons.has(entry.person_id);
      if (missing) household.missing.push(entry);
      // The immobile and retests first; everyone still missing when the team sweeps the grid.
      const due = (entry.status === "hold" && !state.persons.has(entry.person_id))
        || (missing && (entry.status === "to_resample" || entry.door_reasons.length > 0 || everyone));
      if (due) household.members.push(entry);
    }
    for (const [id, household] of byHousehold) if (!household.members.length) byHousehold.delete(id);
    // The planned route first, in its order; doors it does not know (found since) after, by address.
    const order = state.context.route_order || {};
    const position = (id) => (id in order ? order[id][0] : Infinity);
    for (const [id, household] of byHousehold) household.arrive = order[id]?.[1] || "";
    return [...byHousehold.entries()].sort((a, b) => position(a[0]) - position(b[0])
      || a[1].address.localeCompare(b[1].address, "zh-CN", { numeric: true }));
  }

  async function renderRoute() {
    const box = $("#route");
    box.hidden = state.context.place !== "route";
    if (box.hidden) return;
    const visits = (await GS.getMeta("visits")) || {};
    const households = await routeHouseholds();
    $("#route-list").replaceChildren(...households.map(([householdId, household]) => {
      const li = document.createElement("li");
      li.dataset.household = householdId;
      const visit = visits[householdId];
      li.className = visit ? `visited ${visit}` : "";
      const title = document.createElement("strong");
      title.textContent = household.arrive ? `${household.arrive} · ${household.address}` : household.address;
      const who = document.createElement("div");
      who.textContent = household.members.map((m) => {
        const why = m.status === "hold" ? T.retest : m.door_reasons.map((r) => T[r] || r).join(", ");
        return why ? `${m.name} (${why})` : m.name;
      }).join(" · ");
      const buttons = document.createElement("div");
      buttons.className = "row";
      for (const [outcome, label] of [["nobody_home", T.nobody_home], ["refused", T.refused]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = label;
        button.dataset.outcome = outcome;
        // Nobody home, or a refusal, holds for everyone in the household still missing.
        button.addEventListener("click", () => markVisit(householdId, household.missing, outcome));
        buttons.append(button);
      }
      const note = document.createElement("span");
      note.className = "warn";
      note.textContent = visit ? T[visit] : "";
      li.append(title, who, buttons, note);
      return li;
    }));
  }

  async function markVisit(householdId, members, outcome) {
    // The notes are queued before the door shows as visited, so no screen shows the visit as settled early.
    for (const member of members) {
      await GS.addOp({ kind: "note", round_id: state.context.round_id, person_id: member.person_id, reason: VISIT_REASONS[outcome] });
    }
    const visits = (await GS.getMeta("visits")) || {};
    visits[householdId] = outcome;
    await GS.setMeta("visits", visits);
    say(`${T[outcome]}: ${members.map((m) => m.name).join(", ")}`, "info");
    render();
    kick();
  }

  /* ---- sync: now after a scan, again every few seconds, backing off while the server is unreachable ---- */
  async function kick() {
    state.nextSync = 0;
    await syncLoop();
  }

  async function syncLoop() {
    if (state.syncing || Date.now() < state.nextSync) return;
    state.syncing = true;
    try {
      const result = await GS.syncOnce();
      if (result.status === "ok") {
        state.backoff = 0;
        $("#sync-status").textContent = `${T.synced} ${new Date().toLocaleTimeString()}`;
      } else {
        state.backoff = Math.min(60000, state.backoff ? state.backoff * 2 : 2000);
        state.nextSync = Date.now() + state.backoff;
        $("#sync-status").textContent = result.status === "login" ? T.log_in_again : T.will_retry;
        if ("serviceWorker" in navigator && navigator.serviceWorker.ready) {
          navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register("scans")).catch(() => {});
        }
      }
    } finally {
      state.syncing = false;
      render();
    }
  }

  /* ---- the phone camera, where the browser reads barcodes itself ---- */
  async function camera() {
    if (!("BarcodeDetector" in window)) return say(T.no_camera_reading, "error");
    const video = $("#camera");
    video.hidden = false;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    await video.play();
    const detector = new BarcodeDetector({ formats: ["qr_code", "code_128", "code_39", "ean_13"] });
    let last = "";
    const tick = async () => {
      if (video.hidden) return stream.getTracks().forEach((t) => t.stop());
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length && codes[0].rawValue !== last) {
        last = codes[0].rawValue;
        await handle(last);
      }
      requestAnimationFrame(tick);
    };
    tick();
  }

  async function boot() {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sampler/sw.js", { scope: "/sampler/" });
    await GS.deviceId();
    await GS.setMeta("lang", document.documentElement.lang);
    state.context = await GS.getMeta("context");
    const openTube = await GS.getMeta("open_tube");
    for (const scan of await GS.scans()) {
      if (state.context && scan.round_id !== state.context.round_id) continue;
      state.tubes.add(scan.tube);
      if (scan.person_id) state.persons.add(scan.person_id);
    }
    if (state.context && openTube) {
      state.tube = openTube;
      state.members = (await GS.scans()).filter((s) => s.tube === openTube).sort((a, b) => a.seq - b.seq);
    }
    $("#setup-form").addEventListener("submit", start);
    $("#round").addEventListener("change", loadPlaces);
    $("#grid").addEventListener("change", loadPlaces);
    $("#scan-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#scan-input");
      const value = input.value;
      input.value = "";
      handle(value);
    });
    $("#seal").addEventListener("click", () => seal());
    $("#clear-rejected").addEventListener("click", async () => {
      for (const row of await GS.scans("rejected")) await GS.deleteScan(row.seq);
      render();
    });
    $("#undo").addEventListener("click", () => undo());
    $("#camera-button").addEventListener("click", () => camera());
    $("#change").addEventListener("click", async () => {
      $("#scanning").hidden = true;
      $("#setup").hidden = false;
      await loadChoices().catch(() => say(T.offline, "error"));
    });
    $("#route-everyone").addEventListener("change", () => renderRoute());
    window.addEventListener("online", () => kick());
    window.addEventListener("offline", () => render());
    setInterval(syncLoop, 3000);
    if (state.context) showScanning();
    else await loadChoices().catch(() => say(T.need_network_first, "error"));
    kick();
  }

  boot();
})();
