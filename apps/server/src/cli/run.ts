import { main } from './main.js';

// The entry point of the plauder command (bin/plauder.js loads the compiled form of this file).
await main(process.argv);
