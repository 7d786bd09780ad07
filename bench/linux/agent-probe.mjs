// The agent side of the Linux benchmark: a process holding only SafeLab's Linux desktop (as the
// agent's session helper would), driven over IPC by run.mjs so its RSS and CPU are its own.

const { createLinuxDesktop } = await import(new URL('../../dist/agent/platform/linux/desktop.js', import.meta.url).href);

let desktop = null;

const handlers = {
  async start({ display, capture }) {
    desktop = await createLinuxDesktop({ display, language: 'vi', capture });
    return { screens: desktop.sessionInfo().screens };
  },
  async captureBatch({ count, width, quality, fresh = false }) {
    // Back to back: the cost of one thumbnail (capture + scale + encode), nothing else. With
    // `fresh`, the quality alternates by one so the desktop cannot hand back its last thumbnail
    // (it does that while the screen is unchanged) and every call really reads the screen.
    const cpuBefore = process.cpuUsage();
    const wall = [];
    const bytes = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      const shot = await desktop.capture({ width, quality: fresh ? quality + (i % 2) : quality, screen: 'all' });
      wall.push(performance.now() - t);
      bytes.push(shot.jpeg.length);
    }
    const cpu = process.cpuUsage(cpuBefore);
    return { cpuMicrosPerThumbnail: (cpu.user + cpu.system) / count, wall, bytes };
  },
  async capture({ width, quality }) {
    const t = performance.now();
    const shot = await desktop.capture({ width, quality, screen: 'all' });
    return { ms: performance.now() - t, bytes: shot.jpeg.length, width: shot.width, height: shot.height };
  },
  async lock({ message }) {
    const t = performance.now();
    await desktop.lock(message);
    return { ms: performance.now() - t };
  },
  async unlock() {
    const t = performance.now();
    await desktop.unlock();
    return { ms: performance.now() - t };
  },
  async close() {
    await desktop?.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.op](msg);
    process.send({ id: msg.id, ok: true, result });
  } catch (e) {
    process.send({ id: msg.id, ok: false, error: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => process.exit(0));
