import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError, Exit } from './errors.js';

/** One named connection: where the service is, which project, and a token or an AK/SK pair. */
export const profileSchema = z.object({
  endpoint: z.string().optional(),
  project: z.string().optional(),
  token: z.string().optional(),
  ak: z.string().optional(),
  sk: z.string().optional(),
});
export type Profile = z.infer<typeof profileSchema>;

const configSchema = z.object({ profiles: z.record(z.string(), profileSchema).default({}) });
export type Config = z.infer<typeof configSchema>;

/** `GES_BACKUP_CONFIG`, or `$XDG_CONFIG_HOME/ges-backup/config.json` (`~/.config/...`). */
export function configPath(env = process.env): string {
  if (env.GES_BACKUP_CONFIG) return env.GES_BACKUP_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'ges-backup', 'config.json');
}

export async function readConfig(path = configPath()): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  try {
    return configSchema.parse(JSON.parse(text));
  } catch {
    throw new CliError(`${path} is not a valid ges-backup configuration`, Exit.usage);
  }
}

/** Writes one profile (merged over what it held), readable by its owner only: it holds secrets. */
export async function writeProfile(name: string, profile: Profile, path = configPath()): Promise<Profile> {
  const config = await readConfig(path);
  const merged = profileSchema.parse({ ...config.profiles[name], ...profile });
  if (profile.token) {
    delete merged.ak;
    delete merged.sk;
  } else if (profile.ak || profile.sk) {
    delete merged.token;
  }
  config.profiles[name] = merged;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return merged;
}
