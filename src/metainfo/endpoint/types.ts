/** The request type a method declaration validates to. */
export type Req<T> = T extends { request: { parse(v: unknown, path?: string): infer R } } ? R : never;
