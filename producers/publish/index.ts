export { type Publishable, type PublishStreamOptions, publishStream, rebase } from "./publish.ts";
export { interleave, postSource, type SourceOptions, transactionSource } from "./sources.ts";
