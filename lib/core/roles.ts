/** What a caller may do in its project: a viewer reads, an operator also writes, an admin also manages access keys. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
