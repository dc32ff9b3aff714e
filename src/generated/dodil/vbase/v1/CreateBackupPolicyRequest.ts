// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to create a recurring backup policy.
 */
export interface CreateBackupPolicyRequest {
  /**
   * Service governed by this policy.
   */
  'service_id'?: (string);
  /**
   * Tenant organization UUID.
   */
  'organization_id'?: (string);
  /**
   * Five-field cron expression for the schedule, evaluated in UTC.
   */
  'schedule_cron'?: (string);
  /**
   * Number of backups made by this policy to retain; at least 1.
   */
  'retention_count'?: (number);
  /**
   * Whether the policy fires; active when omitted.
   */
  'is_active'?: (boolean);
  '_is_active'?: "is_active";
}

/**
 * Request to create a recurring backup policy.
 */
export interface CreateBackupPolicyRequest__Output {
  /**
   * Service governed by this policy.
   */
  'service_id': (string);
  /**
   * Tenant organization UUID.
   */
  'organization_id': (string);
  /**
   * Five-field cron expression for the schedule, evaluated in UTC.
   */
  'schedule_cron': (string);
  /**
   * Number of backups made by this policy to retain; at least 1.
   */
  'retention_count': (number);
  /**
   * Whether the policy fires; active when omitted.
   */
  'is_active'?: (boolean);
}
