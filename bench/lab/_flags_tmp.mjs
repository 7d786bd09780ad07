import v8 from 'node:v8';
if (process.env.RUNTIME_V8_FLAGS) v8.setFlagsFromString(process.env.RUNTIME_V8_FLAGS);
