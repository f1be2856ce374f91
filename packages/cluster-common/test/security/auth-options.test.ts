import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Configuration, ConfigurationError } from '@eddy/common';
import { authTokenOf, withAuthTokenFromEnvironment } from '../../src/security/auth-options.js';

const KEY = 'security.auth.token';

describe('the auth token options', () => {
  it('takes the token from -D first, then EDDY_AUTH_TOKEN, then EDDY_PROPERTIES and the config file', () => {
    const environment = { EDDY_AUTH_TOKEN: ' from-env ' };
    const flag = Configuration.fromRecord({ [KEY]: 'from-flag' }, 'command line');
    assert.equal(authTokenOf(withAuthTokenFromEnvironment(flag, environment)), 'from-flag');
    const file = Configuration.fromRecord({ [KEY]: 'from-file' }, 'config file eddy.properties');
    const fromEnvironment = withAuthTokenFromEnvironment(file, environment);
    assert.equal(authTokenOf(fromEnvironment), 'from-env');
    assert.equal(fromEnvironment.sourceOf(KEY), 'EDDY_AUTH_TOKEN');
    assert.equal(authTokenOf(withAuthTokenFromEnvironment(file, {})), 'from-file');
    assert.equal(authTokenOf(withAuthTokenFromEnvironment(Configuration.empty(), { EDDY_AUTH_TOKEN: '  ' })), '');
  });

  it('refuses a token that cannot travel in a header, naming the key and where it was set but not the value', () => {
    for (const bad of ['two words', 'tab\there', 'caf\u00e9']) {
      const configuration = Configuration.fromRecord({ [KEY]: bad }, 'command line');
      assert.throws(
        () => authTokenOf(configuration),
        (error: unknown) => {
          assert.ok(error instanceof ConfigurationError);
          assert.match(error.message, /security\.auth\.token \(from command line\)/);
          assert.ok(!error.message.includes(bad), error.message);
          return true;
        },
      );
    }
  });
});
