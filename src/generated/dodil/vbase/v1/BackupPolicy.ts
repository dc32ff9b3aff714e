// Original file: proto/dodil/vbase/v1/vbase.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

/**
 * A recurring backup policy.
 */
export interface BackupPolicy {
  /**
   * Policy UUID.
   */
  'id'?: (string);
  /**
   * Service governed by the policy.
   */
  'service_id'?: (string);
  /**
   * Organization that owns the service.
   */
  'organization_id'?: (string);
  /**
   * Five-field cron expression for the schedule, evaluated in UTC.
   */
  'schedule_cron'?: (string);
  /**
   * Number of backups made by this policy that are retained.
   */
  'retention_count'?: (number);
  /**
   * Whether the policy fires on its schedule.
   */
  'is_active'?: (boolean);
  /**
   * When the policy was created.
   */
  'created_at'?: (_google_protobuf_Timestamp | null);
  /**
   * When the policy was last changed.
   */
  'updated_at'?: (_google_protobuf_Timestamp | null);
}

/**
 * A recurring backup policy.
 */
export interface BackupPolicy__Output {
  /**
   * Policy UUID.
   */
  'id': (string);
  /**
   * Service governed by the policy.
   */
  'service_id': (string);
  /**
   * Organization that owns the service.
   */
  'organization_id': (string);
  /**
   * Five-field cron expression for the schedule, evaluated in UTC.
   */
  'schedule_cron': (string);
  /**
   * Number of backups made by this policy that are retained.
   */
  'retention_count': (number);
  /**
   * Whether the policy fires on its schedule.
   */
  'is_active': (boolean);
  /**
   * When the policy was created.
   */
  'created_at': (_google_protobuf_Timestamp__Output | null);
  /**
   * When the policy was last changed.
   */
  'updated_at': (_google_protobuf_Timestamp__Output | null);
}
