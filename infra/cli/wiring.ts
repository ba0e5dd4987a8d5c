// The store and the app of a target, built by the same code the handlers use; the key is read only when asked for.
import { type App, buildApp } from '../../shared/app.ts';
import { Deadline } from '../../shared/deadline.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import type { Target } from './target.ts';

/** One operator command's budget: every DynamoDB and gateway call it makes is abandoned past it. */
export const cliDeadline = () => new Deadline(300_000);

/** The tables of the target, for commands that need no key. */
export const openStore = (target: Target): DynamoDbPaymentStore => new DynamoDbPaymentStore(createDynamoClient(target.env), target.tables);

/** The handlers' app for the target, with the key (from where the target says) when `withKey`. */
export const openApp = (target: Target, withKey: boolean): Promise<App> => buildApp(target.env, withKey ? ['ALIPAY_KEY'] : []);
