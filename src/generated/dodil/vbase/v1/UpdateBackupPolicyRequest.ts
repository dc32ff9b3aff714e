// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to modify a recurring backup policy.
 */
export interface UpdateBackupPolicyRequest {
  /**
   * Service governed by this policy.
   */
  'service_id'?: (string);
  /**
   * UUID of the policy to update.
   */
  'policy_id'?: (string);
  /**
   * Tenant organization UUID; optional on update.
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
   * Active/inactive toggle; unchanged when omitted.
   */
  'is_active'?: (boolean);
  '_organization_id'?: "organization_id";
  '_is_active'?: "is_active";
}

/**
 * Request to modify a recurring backup policy.
 */
export interface UpdateBackupPolicyRequest__Output {
  /**
   * Service governed by this policy.
   */
  'service_id': (string);
  /**
   * UUID of the policy to update.
   */
  'policy_id': (string);
  /**
   * Tenant organization UUID; optional on update.
   */
  'organization_id'?: (string);
  /**
   * Five-field cron expression for the schedule, evaluated in UTC.
   */
  'schedule_cron': (string);
  /**
   * Number of backups made by this policy to retain; at least 1.
   */
  'retention_count': (number);
  /**
   * Active/inactive toggle; unchanged when omitted.
   */
  'is_active'?: (boolean);
}
