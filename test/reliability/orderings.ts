// Delivery orders of a lifecycle's notifications: any permutation, with some of them delivered again anywhere.
import fc from 'fast-check';

/** Indexes 0…n-1 each at least once, in any order, plus up to n repeats inserted anywhere. */
export function deliveryOrder(n: number): fc.Arbitrary<number[]> {
  const all = Array.from({ length: n }, (_, i) => i);
  return fc.tuple(
    fc.shuffledSubarray(all, { minLength: n, maxLength: n }),
    fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat()), { maxLength: n }),
  ).map(([permutation, repeats]) => {
    const order = [...permutation];
    for (const [index, at] of repeats) order.splice(at % (order.length + 1), 0, index);
    return order;
  });
}
