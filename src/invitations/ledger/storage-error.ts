/** The store could not be used: another process holds it, its schema could not be migrated, or it is not there. */
export class StorageError extends Error {
  readonly code: 'data_dir_in_use' | 'migration_failed' | 'unreachable';
  constructor(code: StorageError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}
