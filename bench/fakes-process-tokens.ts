export const KANTATA_TOKEN = 'kt-bench-token';
export const HUDDLE_TOKEN = 'ht-bench-token';
