// Original file: proto/dodil/vbase/v1/vbase.proto

/**
 * Progress of a backup or restore job.
 */
export const JobStatus = {
  /**
   * Not set; never returned by a conforming upstream.
   */
  JOB_STATUS_UNSPECIFIED: 'JOB_STATUS_UNSPECIFIED',
  /**
   * Accepted and waiting to run.
   */
  PENDING: 'PENDING',
  /**
   * Running now.
   */
  RUNNING: 'RUNNING',
  /**
   * Finished successfully.
   */
  COMPLETED: 'COMPLETED',
  /**
   * Finished with an error; see the job's error_message.
   */
  FAILED: 'FAILED',
} as const;

/**
 * Progress of a backup or restore job.
 */
export type JobStatus =
  /**
   * Not set; never returned by a conforming upstream.
   */
  | 'JOB_STATUS_UNSPECIFIED'
  | 0
  /**
   * Accepted and waiting to run.
   */
  | 'PENDING'
  | 1
  /**
   * Running now.
   */
  | 'RUNNING'
  | 2
  /**
   * Finished successfully.
   */
  | 'COMPLETED'
  | 3
  /**
   * Finished with an error; see the job's error_message.
   */
  | 'FAILED'
  | 4

/**
 * Progress of a backup or restore job.
 */
export type JobStatus__Output = typeof JobStatus[keyof typeof JobStatus]
