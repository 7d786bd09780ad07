import v8 from 'node:v8';
import vm from 'node:vm';
if (process.env.GC_AFTER_MS) {
  setTimeout(() => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    gc();
  }, Number(process.env.GC_AFTER_MS)).unref();
}
