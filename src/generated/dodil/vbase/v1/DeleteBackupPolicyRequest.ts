// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to delete a backup policy.
 */
export interface DeleteBackupPolicyRequest {
  /**
   * Service governed by the policy.
   */
  'service_id'?: (string);
  /**
   * UUID of the policy to delete.
   */
  'policy_id'?: (string);
}

/**
 * Request to delete a backup policy.
 */
export interface DeleteBackupPolicyRequest__Output {
  /**
   * Service governed by the policy.
   */
  'service_id': (string);
  /**
   * UUID of the policy to delete.
   */
  'policy_id': (string);
}
