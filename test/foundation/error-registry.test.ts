import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CLASSES,
  ExtractionTimeoutError,
  LanesError,
  PermanentError,
  rebuildError,
  serializeError,
} from '@lanes/contracts';

test('each registered class is registered under the code its instances carry', () => {
  for (const [code, type] of ERROR_CLASSES) assert.equal(type.code, code, type.name);
  // Permanent subclasses take their code from their class, not PermanentError's.
  assert.equal(new ExtractionTimeoutError('took too long').code, 'EXTRACTION_TIMEOUT');
  assert.equal(ERROR_CLASSES.get('EXTRACTION_TIMEOUT'), ExtractionTimeoutError);
});

test('an error rebuilt from { code, message, context } is of the class its code names', () => {
  const original = new PermanentError('no retry can fix this', { source: 'a.pdf' });
  const rebuilt = rebuildError(structuredClone(serializeError(original, 'UNUSED')));
  assert.ok(rebuilt instanceof PermanentError);
  assert.equal(rebuilt.name, 'PermanentError');
  assert.deepEqual(
    [rebuilt.code, rebuilt.message, rebuilt.context],
    [original.code, original.message, original.context],
  );
});

test('a code no class claims is rebuilt as a LanesError with that code; a foreign error gets the fallback code', () => {
  const rebuilt = rebuildError({ code: 'APP_SPECIFIC', message: 'custom', context: { n: 1 } });
  assert.equal(Object.getPrototypeOf(rebuilt), LanesError.prototype);
  assert.deepEqual([rebuilt.code, rebuilt.message, rebuilt.context], ['APP_SPECIFIC', 'custom', { n: 1 }]);
  assert.deepEqual(serializeError(new TypeError('bad'), 'TASK_FAILED'), {
    code: 'TASK_FAILED',
    message: 'bad',
    context: {},
  });
});
