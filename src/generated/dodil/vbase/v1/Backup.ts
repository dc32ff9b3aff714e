// Original file: proto/dodil/vbase/v1/vbase.proto

import type { JobStatus as _dodil_vbase_v1_JobStatus, JobStatus__Output as _dodil_vbase_v1_JobStatus__Output } from '../../../dodil/vbase/v1/JobStatus.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A backup job and the artifact it produces.
 */
export interface Backup {
  /**
   * Backup name, unique within its service.
   */
  'name'?: (string);
  /**
   * Service the backup was taken from.
   */
  'service_id'?: (string);
  /**
   * Organization that owns the service.
   */
  'organization_id'?: (string);
  /**
   * Database that was backed up.
   */
  'db_name'?: (string);
  /**
   * Collections included in the backup.
   */
  'collection_names'?: (string)[];
  /**
   * Progress of the backup job.
   */
  'status'?: (_dodil_vbase_v1_JobStatus);
  /**
   * When the job was created.
   */
  'created_at'?: (_google_protobuf_Timestamp | null);
  /**
   * When the job finished; unset while it is pending or running.
   */
  'completed_at'?: (_google_protobuf_Timestamp | null);
  /**
   * Size of the backup artifact in bytes; 0 until the job completes.
   */
  'size_bytes'?: (number | string | Long);
  /**
   * The policy whose schedule created this backup; unset for manual backups.
   */
  'policy_id'?: (string);
  /**
   * Why the job failed; empty unless the status is FAILED.
   */
  'error_message'?: (string);
  '_policy_id'?: "policy_id";
}

/**
 * A backup job and the artifact it produces.
 */
export interface Backup__Output {
  /**
   * Backup name, unique within its service.
   */
  'name': (string);
  /**
   * Service the backup was taken from.
   */
  'service_id': (string);
  /**
   * Organization that owns the service.
   */
  'organization_id': (string);
  /**
   * Database that was backed up.
   */
  'db_name': (string);
  /**
   * Collections included in the backup.
   */
  'collection_names': (string)[];
  /**
   * Progress of the backup job.
   */
  'status': (_dodil_vbase_v1_JobStatus__Output);
  /**
   * When the job was created.
   */
  'created_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * When the job finished; unset while it is pending or running.
   */
  'completed_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * Size of the backup artifact in bytes; 0 until the job completes.
   */
  'size_bytes': (string);
  /**
   * The policy whose schedule created this backup; unset for manual backups.
   */
  'policy_id'?: (string);
  /**
   * Why the job failed; empty unless the status is FAILED.
   */
  'error_message': (string);
}
