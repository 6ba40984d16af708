export * from './errors.js';
export * from './auth.js';
export * from './frames-common.js';
export * from './visitor-frames.js';
export * from './operator-frames.js';
export * from './canned-responses.js';
export * from './attachments.js';
export * from './ids.js';
