import { AppError } from '../errors.js';

export const tooManyAttempts = () => new AppError('rate_limited', 'too many attempts: try again later');
