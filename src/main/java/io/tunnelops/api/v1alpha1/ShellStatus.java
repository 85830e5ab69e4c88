package io.tunnelops.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What a Shell session's pod took from its app, fixed when the pod was first created, and what it left out. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ShellStatus {

    @JsonPropertyDescription("Where the shell's environment comes from: deployment/<name>, or toolbox.")
    private String source;

    @JsonPropertyDescription("The app container whose image, env and config volumes the shell copied.")
    private String container;

    @JsonPropertyDescription("The image the shell runs in.")
    private String image;

    @JsonPropertyDescription("The uid the shell runs as.")
    private Long runAsUser;

    @JsonPropertyDescription("What of the app was not copied, and why.")
    private List<String> omitted = new ArrayList<>();

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getContainer() {
        return container;
    }

    public void setContainer(String container) {
        this.container = container;
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public Long getRunAsUser() {
        return runAsUser;
    }

    public void setRunAsUser(Long runAsUser) {
        this.runAsUser = runAsUser;
    }

    public List<String> getOmitted() {
        return omitted;
    }

    public void setOmitted(List<String> omitted) {
        this.omitted = omitted;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ShellStatus s && Objects.equals(source, s.source) && Objects.equals(container, s.container)
                && Objects.equals(image, s.image) && Objects.equals(runAsUser, s.runAsUser)
                && Objects.equals(omitted == null ? List.of() : omitted, s.omitted == null ? List.of() : s.omitted);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, container, image, runAsUser);
    }
}
