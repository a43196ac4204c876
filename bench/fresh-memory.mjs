// Cost of fresh memory: allocate N MiB (zero pages from the OS, mapped lazily) and write every byte once
// (page faults + kernel zeroing), against rewriting the same, already mapped, memory. Wall and CPU time
// (user + system, process.cpuUsage) in ms per MiB; minimum / median of 7 trials. Part of bench/baseline.sh.
const MiB = 1 << 20;
for (const n of [64, 256]) {
  const wFirst = [], wSecond = [], cFirst = [], cSecond = [];
  for (let t = 0; t < 7; t++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    const a = new Uint8Array(n * MiB);
    a.fill(1);
    const c1 = process.cpuUsage(), t1 = performance.now();
    a.fill(2);
    const c2 = process.cpuUsage(), t2 = performance.now();
    const cpu = (x, y) => (y.user + y.system - x.user - x.system) / 1000;
    wFirst.push((t1 - t0) / n);
    wSecond.push((t2 - t1) / n);
    cFirst.push(cpu(c0, c1) / n);
    cSecond.push(cpu(c1, c2) / n);
  }
  const s = (x) => {
    const y = [...x].sort((p, q) => p - q);
    return `${y[0].toFixed(2)} / ${y[3].toFixed(2)}`;
  };
  console.log(`  fresh memory, ${n} MiB (ms per MiB, min / median): first write wall ${s(wFirst)}, CPU ${s(cFirst)}; rewrite wall ${s(wSecond)}, CPU ${s(cSecond)}`);
}
