import { depthOf } from './json-body';

describe('depthOf', () => {
  it.each([
    [1, 0],
    [null, 0],
    [{}, 1],
    [[], 1],
    [{ a: [1, { b: 2 }] }, 3],
    [[[[[]]]], 4],
  ])('measures %j as %i deep', (value, depth) => {
    expect(depthOf(value, 100)).toBe(depth);
  });

  it('stops counting past the cap, without recursion, however deep the value', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(depthOf(deep, 64)).toBe(65);
  });
});
