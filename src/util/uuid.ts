// The one UUID rule of the driver side: any case (UUIDs are case-insensitive; the API's own pattern
// is lowercase, so callers lowercase what they send). The simulator enforces the API's lowercase
// rule separately (src/simulator/uuid.ts), as STACKIT does.
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
