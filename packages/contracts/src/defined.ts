/** `T` without its undefined values: each property present only when it has one. */
export type DefinedOnly<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/**
 * The properties of `object` that are not undefined. Objects that are spread over defaults,
 * compared, serialised or checked with `in` are built with it, because there an absent
 * property and an undefined one differ: `{ ...definedOnly({ filter }) }`.
 */
export function definedOnly<T extends object>(object: T): DefinedOnly<T> {
  const out: Partial<T> = {};
  for (const key in object) if (object[key] !== undefined) out[key] = object[key];
  return out as DefinedOnly<T>;
}
