/** The `error` string of a Web API platform error (`channel_not_found`, ...), or the error's code. */
export function slackErrorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { data, code } = error as { data?: { error?: unknown }; code?: unknown };
    if (typeof data?.error === 'string') return data.error;
    if (typeof code === 'string') return code;
  }
  return 'unknown_error';
}
