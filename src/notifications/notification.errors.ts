import { AppError } from '../errors.js';

export const notRevealable = () => new AppError('forbidden', 'only messages kept in the local outbox can be revealed');
