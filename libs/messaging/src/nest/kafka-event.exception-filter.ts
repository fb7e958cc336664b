import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';

/**
 * Passes an `@EventPattern` handler's error through unchanged. Nest's default RPC filter replaces
 * unknown errors with `{ status: 'error', message: 'Internal server error' }`, which would leave
 * dead letters without their real reason. Apply it to the microservice:
 * `app.connectMicroservice(...).useGlobalFilters(new KafkaEventExceptionFilter())`
 * (`connectKafkaEvents` does this).
 */
@Catch()
export class KafkaEventExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
