import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { program } from '../../cli/main.js';

const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();

/** The help a user sees, the text added after it included. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('--help', () => {
  const commands = all(program).filter((c) => c.name() !== 'help');

  it('covers every command the brief names', () => {
    const paths = commands.map(pathOf);
    for (const expected of [
      'ges-backup configure',
      'ges-backup graphs list',
      'ges-backup graphs show',
      'ges-backup backup create',
      'ges-backup backup list',
      'ges-backup backup delete',
      'ges-backup restore',
      'ges-backup jobs list',
      'ges-backup jobs show',
      'ges-backup jobs watch',
      'ges-backup policy get',
      'ges-backup policy set',
      'ges-backup export',
      'ges-backup import',
      'ges-backup download',
      'ges-backup verify',
    ]) {
      expect(paths).toContain(expected);
    }
  });

  for (const command of all(program).filter((c) => c.name() !== 'help')) {
    it(`${pathOf(command)} shows an example`, () => {
      expect(helpOf(command)).toMatch(/Examples?:\n {2}\$ ges-backup /);
    });
  }
});
