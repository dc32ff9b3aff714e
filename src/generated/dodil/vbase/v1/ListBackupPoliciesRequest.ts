// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Extension: request to list the backup policies of one service.
 */
export interface ListBackupPoliciesRequest {
  /**
   * Service whose policies are listed.
   */
  'service_id'?: (string);
}

/**
 * Extension: request to list the backup policies of one service.
 */
export interface ListBackupPoliciesRequest__Output {
  /**
   * Service whose policies are listed.
   */
  'service_id': (string);
}
