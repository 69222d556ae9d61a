// The IaaS error body {code, msg} as a throwable, so handlers can stop at the first problem.
export class IaasError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, msg: string, headers: Record<string, string> = {}) {
    super(msg);
    this.name = 'IaasError';
    this.status = status;
    this.headers = headers;
  }

  get body(): { code: number; msg: string } {
    return { code: this.status, msg: this.message };
  }
}

export const badRequest = (msg: string) => new IaasError(400, msg);
export const notFound = (msg: string) => new IaasError(404, msg);
export const forbidden = (msg: string) => new IaasError(403, msg);
export const conflict = (msg: string) => new IaasError(409, msg);
