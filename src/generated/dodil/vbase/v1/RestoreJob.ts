// Original file: proto/dodil/vbase/v1/vbase.proto

import type { JobStatus as _dodil_vbase_v1_JobStatus, JobStatus__Output as _dodil_vbase_v1_JobStatus__Output } from '../../../dodil/vbase/v1/JobStatus.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

/**
 * A restore job.
 */
export interface RestoreJob {
  /**
   * Restore job UUID.
   */
  'id'?: (string);
  /**
   * Target service of the restore.
   */
  'service_id'?: (string);
  /**
   * Organization that owns the service.
   */
  'organization_id'?: (string);
  /**
   * Name of the backup restored from.
   */
  'backup_name'?: (string);
  /**
   * Target database.
   */
  'db_name'?: (string);
  /**
   * Collections being restored.
   */
  'collection_names'?: (string)[];
  /**
   * Progress of the restore job.
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
   * Why the job failed; empty unless the status is FAILED.
   */
  'error_message'?: (string);
}

/**
 * A restore job.
 */
export interface RestoreJob__Output {
  /**
   * Restore job UUID.
   */
  'id': (string);
  /**
   * Target service of the restore.
   */
  'service_id': (string);
  /**
   * Organization that owns the service.
   */
  'organization_id': (string);
  /**
   * Name of the backup restored from.
   */
  'backup_name': (string);
  /**
   * Target database.
   */
  'db_name': (string);
  /**
   * Collections being restored.
   */
  'collection_names': (string)[];
  /**
   * Progress of the restore job.
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
   * Why the job failed; empty unless the status is FAILED.
   */
  'error_message': (string);
}
