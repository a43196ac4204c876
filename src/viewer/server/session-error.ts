/** Thrown for requests the session refuses (the server maps `status` to the HTTP code). */
export class SessionRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
