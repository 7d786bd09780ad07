import v8 from 'node:v8';
v8.setFlagsFromString(process.env.RUNTIME_V8_FLAGS ?? '');
