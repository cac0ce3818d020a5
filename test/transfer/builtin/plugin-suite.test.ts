/**
 * The built-in plugin passes the stories every transfer plugin passes (the same suite as rsync),
 * over real TCP between two integration modules, with nothing outside the package.
 */
import { describe } from 'vitest';
import { pluginSuite, tmpfsUnavailableReason } from '../integration/plugin-suite.js';
import { builtinKit } from './kit.js';

const tmpfs = tmpfsUnavailableReason();
if (tmpfs !== undefined) console.warn(`skipping the full-destination story of the built-in plugin: ${tmpfs}`);

describe('the built-in transfer plugin between two providers', () => {
  const kit = builtinKit();
  pluginSuite(() => kit, tmpfs === undefined ? {} : { tmpfsUnavailable: tmpfs });
});
