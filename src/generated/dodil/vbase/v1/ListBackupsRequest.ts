// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to list the backups of one service.
 */
export interface ListBackupsRequest {
  /**
   * Service whose backups are listed.
   */
  'service_id'?: (string);
}

/**
 * Request to list the backups of one service.
 */
export interface ListBackupsRequest__Output {
  /**
   * Service whose backups are listed.
   */
  'service_id': (string);
}
